"""Shared test fixtures: a tiny SOMD corpus written on the fly, its fold DocBins, and
tiny randomly initialised transformer backbones (BERT with a fast WordPiece tokenizer,
DeBERTa-v2 with the slow sentencepiece tokenizer) saved as local Hugging Face model
folders. Everything is built locally: nothing is downloaded."""

from pathlib import Path

import pytest
import spacy
from spacy.training import Example

from spacy_somd.corpus.format import read_corpus_dir
from tests.builders import ENTITY_FREE, SPECIAL_TOKENS, TINY_SIZES, corpus_text, somd_blank, spacy_train, tiny_rows, write_somd
from tests.builders.pipeline import ruler_pipeline


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    """A tiny, valid SOMD corpus folder (train_texts/entities/relations.txt)."""
    rows = tiny_rows()
    folder = write_somd(tmp_path_factory.mktemp("tiny_corpus"), rows)
    sentences, repairs = read_corpus_dir(folder)
    assert repairs == []
    assert len(sentences) == len(rows)
    assert sum(1 for s in sentences if all(label == "O" for label in s.labels)) == len(ENTITY_FREE)
    return folder


@pytest.fixture(scope="session")
def tiny_corpus_docbins(tiny_corpus, tmp_path_factory) -> Path:
    """The tiny corpus converted by the real `convert` command: fold0..fold3.spacy."""
    from typer.testing import CliRunner

    from spacy_somd.cli import app

    out = tmp_path_factory.mktemp("tiny_docbins")
    result = CliRunner().invoke(app, ["convert", str(tiny_corpus), str(out)])
    assert result.exit_code == 0, result.output
    for fold in range(4):
        assert (out / f"fold{fold}.spacy").is_file()
    return out


@pytest.fixture(scope="session")
def tiny_bert(tiny_corpus, tmp_path_factory) -> Path:
    """A tiny random BERT with a WordPiece vocabulary trained on the tiny corpus, saved
    (model + fast tokenizer) as one local Hugging Face model folder."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_bert")
    work = tmp_path_factory.mktemp("tiny_bert_vocab")
    wordpiece = BertWordPieceTokenizer(lowercase=False, strip_accents=False)
    wordpiece.train_from_iterator(corpus_text(tiny_corpus), vocab_size=400, min_frequency=1, special_tokens=SPECIAL_TOKENS)
    vocab_file = wordpiece.save_model(str(work))[0]
    tokenizer = BertTokenizerFast(vocab_file=vocab_file, do_lower_case=False, model_max_length=128)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id, **TINY_SIZES)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_deberta(tiny_corpus, tmp_path_factory) -> Path:
    """A tiny random DeBERTa-v2/v3 with a sentencepiece unigram model trained on the tiny
    corpus, saved with the SLOW `DebertaV2Tokenizer` as one local model folder."""
    import sentencepiece as spm
    import torch
    from transformers import DebertaV2Config, DebertaV2Model, DebertaV2Tokenizer

    folder = tmp_path_factory.mktemp("tiny_deberta")
    work = tmp_path_factory.mktemp("tiny_deberta_spm")
    text_file = work / "text.txt"
    text_file.write_text("\n".join(corpus_text(tiny_corpus)) + "\n", encoding="utf-8")
    prefix = work / "spm"
    # DeBERTa-v3's layout: [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3, [MASK] a user-defined piece.
    spm.SentencePieceTrainer.train(
        input=str(text_file),
        model_prefix=str(prefix),
        model_type="unigram",
        vocab_size=250,
        hard_vocab_limit=False,
        character_coverage=1.0,
        pad_id=0,
        pad_piece="[PAD]",
        bos_id=1,
        bos_piece="[CLS]",
        eos_id=2,
        eos_piece="[SEP]",
        unk_id=3,
        unk_piece="[UNK]",
        user_defined_symbols=["[MASK]"],
        minloglevel=2,
    )
    tokenizer = DebertaV2Tokenizer(vocab_file=str(prefix) + ".model", model_max_length=512)
    assert tokenizer.pad_token_id == 0 and tokenizer.cls_token_id == 1
    assert tokenizer.sep_token_id == 2 and tokenizer.unk_token_id == 3
    torch.manual_seed(0)
    config = DebertaV2Config(
        vocab_size=len(tokenizer),
        pad_token_id=0,
        # the deberta-v3 settings: relative attention, no absolute position input
        relative_attention=True,
        position_biased_input=False,
        pos_att_type=["p2c", "c2p"],
        position_buckets=32,
        max_relative_positions=-1,
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        type_vocab_size=0,
        **TINY_SIZES,
    )
    DebertaV2Model(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def default_pipeline(tmp_path_factory, tiny_corpus_docbins, tiny_bert) -> Path:
    """configs/default.cfg trained once on the tiny BERT; its model-last folder."""
    output = tmp_path_factory.mktemp("train_default")
    return spacy_train("default.cfg", output, tiny_corpus_docbins, "--paths.backbone", str(tiny_bert), "--paths.training_log", str(output / "log.jsonl"))


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: subprocess trainings or CLI runs (deselect with -m 'not slow')")


@pytest.fixture(scope="session")
def rule_pipeline(tmp_path_factory) -> Path:
    """A quick CNN pipeline folder for runtime tests: the SOMD tokenizer and sentence
    boundaries, an entity ruler (capitalised words are Applications, numbers Versions)
    and an initialized, untrained relation extractor with threshold 0, which predicts a
    relation for almost every candidate pair."""

    from spacy_somd.corpus.docs import sentence_to_doc
    from spacy_somd.corpus.format import Sentence

    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.add_pipe("somd_relation_extractor", config={"threshold": 0.0})
    docs = [sentence_to_doc(nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    nlp.initialize(lambda: [Example(nlp.make_doc(doc.text), doc) for doc in docs])
    ruler.add_patterns([{"label": "Application", "pattern": [{"TEXT": {"REGEX": "^[A-Z]"}}]}, {"label": "Version", "pattern": [{"LIKE_NUM": True}]}])
    path = tmp_path_factory.mktemp("rule_pipeline") / "model"
    nlp.to_disk(path)
    return path


@pytest.fixture
def members():
    """Three members that disagree: "SPSS" is an Application for all three, "Stata" for
    two; "25" a Version for two, "version" for one."""
    return [ruler_pipeline("^[A-Z][A-Za-z]+$", {"LIKE_NUM": True}), ruler_pipeline("^[A-Z]+$", {"LIKE_NUM": True}), ruler_pipeline("^S", {"LOWER": "version"})]
