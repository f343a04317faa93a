"""Shared test fixtures: a tiny SOMD corpus written on the fly, its fold DocBins, and
tiny randomly initialised transformer backbones (BERT with a fast WordPiece tokenizer,
DeBERTa-v2 with the slow sentencepiece tokenizer) saved as local Hugging Face model
folders. Everything is built locally: nothing is downloaded."""

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import pytest
import spacy
from spacy.language import Language
from spacy.util import load_config

from spacy_somd.corpus.format import FILE_NAMES, read_corpus_dir

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
SHARED_CORPUS = ROOT.parent / "shared" / "somd2025"
MAX_STEPS = 6
EVAL_FREQUENCY = 3
DEV_FOLD = 2


def somd_blank() -> Language:
    """A blank English pipeline with the tokenizer of configs/default.cfg."""
    tokenizer = load_config(ROOT / "configs" / "default.cfg")["nlp"]["tokenizer"]
    return spacy.blank("en", config={"nlp": {"tokenizer": tokenizer}})


# The backbones are tiny, so keep the offline switches on for anything in-process too.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_SIZES = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
)
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

Field = Union[str, Sequence]
Row = Tuple[Field, Field, Field]


def _line(value: Field, joiner: str) -> str:
    """A row field as a file line: a string is written verbatim, a sequence is joined
    (relations given as ``(label, i, j)`` tuples become ``label<TAB>i<TAB>j``)."""
    if isinstance(value, str):
        return value
    items = ["\t".join(str(part) for part in item) if isinstance(item, (tuple, list)) else str(item) for item in value]
    return joiner.join(items)


def write_somd(folder: Union[str, Path], rows: Sequence[Row], relations: bool = True) -> Path:
    """Write the SOMD training files (texts, entities, relations) of ``rows`` into
    ``folder`` and return it. Each row is ``(tokens, labels, relations)``; each field is
    either a string, written as the line verbatim (for bad-input tests), or a sequence:
    tokens/labels are joined by single spaces, relations ``(label, i, j)`` are written as
    ``label<TAB>i<TAB>j`` joined by ``"; "``. Lines end with ``\\n``, the last one too.
    ``relations=False`` leaves the relations file out."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = {"texts": (0, " "), "entities": (1, " ")}
    if relations:
        columns["relations"] = (2, "; ")
    for key, (index, joiner) in columns.items():
        text = "".join(_line(row[index], joiner) + "\n" for row in rows)
        (folder / FILE_NAMES[key]).write_bytes(text.encode("utf-8"))
    return folder


# A template is a list of chunks: a plain string of O-tokens, or (text, type, key) for an
# entity whose tokens are the text's space-separated words. Relations name entities by key.
Chunk = Union[str, Tuple[str, str, str]]
TEMPLATES: List[Tuple[List[Chunk], List[Tuple[str, str, str]], List[dict]]] = [
    (
        ["We used", ("{app}", "Application", "app"), "version", ("{ver}", "Version", "ver"), "(", ("{dev}", "Developer", "dev"), ") for the analysis ."],
        [("Version_of", "ver", "app"), ("Developer_of", "dev", "app")],
        [
            dict(app="SPSS", ver="22", dev="IBM"),
            dict(app="Stata", ver="15.1", dev="StataCorp"),
            dict(app="SAS", ver="9.4", dev="SAS Institute"),
            dict(app="Mplus", ver="8", dev="Muthen & Muthen"),
        ],
    ),
    (
        [
            "Analyses were run in",
            ("{env}", "ProgrammingEnvironment", "env"),
            ("{ver}", "Version", "ver"),
            "with the",
            ("{plug}", "PlugIn", "plug"),
            "package",
            ("{cit}", "Citation", "cit"),
            ".",
        ],
        [("Version_of", "ver", "env"), ("PlugIn_of", "plug", "env"), ("Citation_of", "cit", "plug")],
        [
            dict(env="R", ver="4.1.2", plug="lme4", cit="[ 12 ]"),
            dict(env="R", ver="3.6.0", plug="ggplot2", cit="( Wickham , 2016 )"),
            dict(env="Python", ver="3.8", plug="scikit-learn", cit="[ 7 ]"),
            dict(env="MATLAB", ver="R2019b", plug="SPM12", cit="[ 31 ]"),
        ],
    ),
    (
        ["Images were processed with", ("{app}", "Application", "app"), "(", ("{url}", "URL", "url"), ") ."],
        [("URL_of", "url", "app")],
        [
            dict(app="ImageJ", url="https://imagej.nih.gov/ij/"),
            dict(app="Fiji", url="http://fiji.sc"),
            dict(app="CellProfiler", url="https://cellprofiler.org"),
        ],
    ),
    (
        ["Statistical tests used", ("{app}", "Application", "app"), ("{ver}", "Version", "ver"), "(", ("{dev}", "Developer", "dev"), ", San Diego , CA ) ."],
        [("Version_of", "ver", "app"), ("Developer_of", "dev", "app")],
        [
            dict(app="GraphPad Prism", ver="8", dev="GraphPad Software"),
            dict(app="Prism", ver="7.0", dev="GraphPad"),
            dict(app="Primer Express", ver="3.0", dev="Applied Biosystems"),
        ],
    ),
    (
        [
            "Alignments were computed with",
            ("{app}", "Application", "app"),
            ("{cit}", "Citation", "cit"),
            "and plotted in",
            ("{env}", "ProgrammingEnvironment", "env"),
            ".",
        ],
        [("Citation_of", "cit", "app")],
        [
            dict(app="BLAST", cit="[ 3 ]", env="R"),
            dict(app="MUSCLE", cit="( Edgar , 2004 )", env="Python"),
            dict(app="Clustal Omega", cit="[ 19 ]", env="MATLAB"),
        ],
    ),
]
ENTITY_FREE = [
    "All participants gave written informed consent .",
    "The samples were stored at -80 degrees until use .",
    "Results are shown in Table 2 .",
]


def render(chunks: Sequence[Chunk], relations: Sequence[Tuple[str, str, str]], fill: dict) -> Row:
    """A template filled in: (tokens, BIO labels, (label, head, tail) relations)."""
    words: List[str] = []
    labels: List[str] = []
    starts = {}
    for chunk in chunks:
        if isinstance(chunk, str):
            new = chunk.split(" ")
            words += new
            labels += ["O"] * len(new)
        else:
            text, type_, key = chunk
            new = text.format(**fill).split(" ")
            starts[key] = len(words)
            words += new
            labels += [f"B-{type_}"] + [f"I-{type_}"] * (len(new) - 1)
    rels = [(label, starts[head], starts[tail]) for label, head, tail in relations]
    return words, labels, rels


def tiny_rows() -> List[Row]:
    """17 entity-bearing sentences (templates round-robin) with the 3 entity-free
    sentences spread among them: 20 sentences in all."""
    filled = []
    for position in range(max(len(fills) for _, _, fills in TEMPLATES)):
        for chunks, relations, fills in TEMPLATES:
            if position < len(fills):
                filled.append(render(chunks, relations, fills[position]))
    rows: List[Row] = list(filled)
    for offset, sentence in zip((2, 9, 14), ENTITY_FREE):
        words = sentence.split(" ")
        rows.insert(offset, (words, ["O"] * len(words), []))
    return rows


def corpus_text(folder: Path) -> List[str]:
    return (Path(folder) / FILE_NAMES["texts"]).read_text(encoding="utf-8").splitlines()


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


ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def run(args: List[str], timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m ARGS`` offline; fail with the output's tail on a non-zero exit."""
    result = subprocess.run([sys.executable, "-m", *args], env=ENV, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"`python -m {' '.join(args)}` exited {result.returncode}\n--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )
    return result


def spacy_train(config: str, output: Path, corpus: Path, *overrides: str, gpu_id: int = -1) -> Path:
    """Train CONFIG for MAX_STEPS steps with the project's train command (fold DEV_FOLD
    held out, the config's other [somd] settings, on the CPU or GPU ``gpu_id``); return the
    model-last folder."""
    run(
        [
            "spacy_somd",
            "train",
            str(CONFIGS / config),
            str(output),
            "--gpu-id",
            str(gpu_id),
            "--paths.corpus",
            str(corpus),
            "--somd.fold",
            str(DEV_FOLD),
            "--training.max_steps",
            str(MAX_STEPS),
            "--training.eval_frequency",
            str(EVAL_FREQUENCY),
            *overrides,
        ]
    )
    model = output / "model-last"
    assert (model / "config.cfg").is_file()
    return model


@pytest.fixture(scope="session")
def default_pipeline(tmp_path_factory, tiny_corpus_docbins, tiny_bert) -> Path:
    """configs/default.cfg trained once on the tiny BERT; its model-last folder."""
    output = tmp_path_factory.mktemp("train_default")
    return spacy_train(
        "default.cfg",
        output,
        tiny_corpus_docbins,
        "--paths.backbone",
        str(tiny_bert),
        "--paths.training_log",
        str(output / "log.jsonl"),
    )


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: subprocess trainings or CLI runs (deselect with -m 'not slow')")


@pytest.fixture(scope="session")
def rule_pipeline(tmp_path_factory) -> Path:
    """A quick CNN pipeline folder for runtime tests: the SOMD tokenizer and sentence
    boundaries, an entity ruler (capitalised words are Applications, numbers Versions)
    and an initialized, untrained relation extractor with threshold 0, which predicts a
    relation for almost every candidate pair."""
    from spacy.training import Example

    from spacy_somd.corpus.docs import sentence_to_doc
    from spacy_somd.corpus.format import Sentence

    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.add_pipe("somd_relation_extractor", config={"threshold": 0.0})
    docs = [sentence_to_doc(nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    nlp.initialize(lambda: [Example(nlp.make_doc(doc.text), doc) for doc in docs])
    ruler.add_patterns(
        [
            {"label": "Application", "pattern": [{"TEXT": {"REGEX": "^[A-Z]"}}]},
            {"label": "Version", "pattern": [{"LIKE_NUM": True}]},
        ]
    )
    path = tmp_path_factory.mktemp("rule_pipeline") / "model"
    nlp.to_disk(path)
    return path
