"""The transformer model (``spacy_somd.transformer.model``): windows over the model maximum
split so that every token gets pieces, a mention at the end of a 2000-token line."""

import random
from typing import List

import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Adam

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.transformer.model import fit_window, n_pieces
from tests.builders import CONFIGS
from tests.builders.transformer import identifiers


def transformer_nlp(backbone, architecture: str):
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer",
        config={
            "model": {
                "@architectures": architecture,
                "name": str(backbone),
                "tokenizer_config": {"use_fast": True},
                "get_spans": {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 128, "stride": 96},
            }
        },
    )
    nlp.initialize()
    return nlp


def test_windows_over_the_model_maximum_are_split_so_every_token_gets_pieces(tiny_bert, tmp_path):
    rng = random.Random(0)
    words = identifiers(rng, 300)
    plain = transformer_nlp(tiny_bert, "spacy-transformers.TransformerModel.v3")
    tokenizer = plain.get_pipe("transformer").model.tokenizer
    doc = Doc(plain.vocab, words=words)
    assert n_pieces(tokenizer, [doc[:128]])[0] > 2 * tokenizer.model_max_length
    assert plain(doc)._.trf_data.align.lengths.min() == 0  # the strided windows are truncated
    nlp = transformer_nlp(tiny_bert, "spacy_somd.PieceBoundedTransformer.v2")
    nlp.to_disk(tmp_path / "pipeline")
    for pipeline in (nlp, spacy.load(tmp_path / "pipeline")):
        trf_data = pipeline(Doc(pipeline.vocab, words=words))._.trf_data
        assert trf_data.align.lengths.min() >= 1
        assert len(trf_data.align.lengths) == len(words)


def test_fit_window_gives_consecutive_parts_within_the_maximum(tiny_bert):
    nlp = transformer_nlp(tiny_bert, "spacy_somd.PieceBoundedTransformer.v2")
    tokenizer = nlp.get_pipe("transformer").model.tokenizer
    rng = random.Random(1)
    doc = Doc(nlp.vocab, words=identifiers(rng, 100) + ["a/" * 200] + identifiers(rng, 20))
    span = doc[:]
    parts = fit_window(tokenizer, span, n_pieces(tokenizer, [span])[0], 128)
    assert [token.i for part in parts for token in part] == list(range(len(doc)))
    for part, count in zip(parts, n_pieces(tokenizer, parts)):
        assert count <= 128 or len(part) == 1  # a single token is never split
    assert any(len(part) == 1 and part[0].text == "a/" * 200 for part in parts)


def mention_examples(nlp, rng: random.Random) -> List[Example]:
    """Short lines of identifiers ending in 'We used SPSS 22 .' (Version_of 22 -> SPSS),
    and lines of identifiers only."""
    examples = []
    for line in range(12):
        n = rng.randint(1, 8)
        rows = [
            (identifiers(rng, n) + ["We", "used", "SPSS", "22", "."], ["O"] * (n + 2) + ["B-Application", "B-Version", "O"], [("Version_of", n + 3, n + 2)]),
            (identifiers(rng, n + 2), ["O"] * (n + 2), []),
        ]
        for words, labels, relations in rows:
            doc = sentence_to_doc(nlp.vocab, Sentence(line + 1, words, labels, relations))
            examples.append(Example(nlp.make_doc(doc.text), doc))
    return examples


@pytest.mark.slow
def test_a_mention_in_the_last_tokens_of_a_2000_token_line_is_annotated(tiny_bert):
    """configs/default.cfg's pipeline on the tiny BERT learns 'We used SPSS 22 .' after
    identifiers; at the end of a 2,000-token line of identifiers, whose last window holds
    far more than the model's 128 pieces, it still finds the entities and the relation
    (with plain strided windows the tail has no word pieces and nothing is found)."""
    config = spacy.util.load_config(CONFIGS / "default.cfg", overrides={"paths.backbone": str(tiny_bert)}, interpolate=False)
    config["nlp"]["pipeline"] = [
        "sentencizer",
        "transformer",
        "ner",
        "somd_split_urls",
        "somd_split_citations",
        "somd_long_names",
        "somd_name_forms",
        "somd_relation_extractor",
        "somd_name_form_relations",
    ]
    del config["components"]["somd_textcat"]
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    rng = random.Random(0)
    examples = mention_examples(nlp, rng)
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples, sgd=Adam(0.001))
    for _ in range(25):
        rng.shuffle(examples)
        for start in range(0, len(examples), 8):
            nlp.update(examples[start : start + 8], sgd=optimizer)
    words = identifiers(rng, 1_995) + ["We", "used", "SPSS", "22", "."]
    doc = nlp(Doc(nlp.vocab, words=words))
    assert len(doc) == 2_000 and doc._.trf_data.align.lengths.min() >= 1
    assert [(e.start, e.label_) for e in doc.ents] == [(1_997, "Application"), (1_998, "Version")]
    assert [(r["head"], r["tail"], r["label"]) for r in doc._.get(RELATIONS_ATTR)] == [(1_998, 1_997, "Version_of")]
