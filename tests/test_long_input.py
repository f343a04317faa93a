"""Long input: sentence boundaries and candidates as before but linear, relation pairs
scored in bounded memory with nothing dropped, transformer windows that leave no token
without word pieces, and a mention at the end of a 2,000-token line that is found."""

import random
import tracemalloc
from typing import List

import numpy
import pytest
import spacy
from conftest import CONFIGS, somd_blank, tiny_rows
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import Adam, NumpyOps

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.relations.candidates import entity_pairs, span_gap
from spacy_somd.pipeline.relations.model import predict_in_chunks, prefix_sums, span_means
from spacy_somd.pipeline.sentencizer import sentence_starts
from spacy_somd.transformer.model import fit_window, n_pieces


def random_doc(rng: random.Random, n_tokens: int) -> Doc:
    """Random words (some sentence ends) with random non-overlapping entities."""
    nlp = spacy.blank("en")
    words = [rng.choice(["We", "used", ".", "SPSS", "22", "R", "and", "Fig"]) for _ in range(n_tokens)]
    doc = Doc(nlp.vocab, words=words)
    ents, i = [], 0
    while i < n_tokens:
        length = rng.randint(1, 3)
        if rng.random() < 0.4 and i + length <= n_tokens:
            ents.append(Span(doc, i, i + length, label=rng.choice(["Application", "Version", "Developer"])))
        i += length + rng.randint(0, 4)
    doc.ents = ents
    return doc


def all_pairs(doc: Doc, max_distance: int, type_pairs=None) -> List[tuple]:
    """The candidate pairs by their definition: every ordered pair of entities of one
    sentence within ``max_distance`` (time quadratic in the entities)."""
    sents = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
    sentence = {token.i: number for number, sent in enumerate(sents) for token in sent}
    return [
        (head, tail)
        for head in doc.ents
        for tail in doc.ents
        if head != tail
        and sentence[head.start] == sentence[tail.start]
        and span_gap(head, tail) <= max_distance
        and (type_pairs is None or (head.label_, tail.label_) in type_pairs)
    ]


def test_sentencizer_sets_the_boundaries_of_sentence_starts_in_one_pass():
    nlp = spacy.blank("en")
    sentencizer = nlp.add_pipe("somd_sentencizer")
    words = "We used SPSS Inc . , Chicago . Then R was used . see Fig . 2 ! And so on".split()
    doc = sentencizer(Doc(nlp.vocab, words=words))
    expected = sentence_starts(words, sentencizer.end_punct, sentencizer.non_final)
    assert [token.is_sent_start for token in doc] == expected
    # "2 !" alone would be a one-word sentence: no boundary before "And"
    assert [sent.text for sent in doc.sents] == ["We used SPSS Inc . , Chicago .", "Then R was used . see Fig . 2 ! And so on"]
    assert len(list(sentencizer(Doc(nlp.vocab, words=[])).sents)) == 0


@pytest.mark.parametrize("seed", range(6))
def test_entity_pairs_are_the_pairs_of_the_definition_in_order(seed):
    rng = random.Random(seed)
    doc = random_doc(rng, rng.randint(0, 300))
    if seed % 2:
        doc = spacy.blank("en").add_pipe("somd_sentencizer")(doc)
    for max_distance in (0, 3, 100):
        assert entity_pairs(doc, max_distance) == all_pairs(doc, max_distance)
    only = {("Version", "Application")}
    assert entity_pairs(doc, 10, only) == all_pairs(doc, 10, only)


def test_span_means_and_their_gradient_match_the_direct_computation():
    ops = NumpyOps()
    rng = numpy.random.default_rng(0)
    X = rng.normal(size=(40, 5)).astype("float32")
    spans = [(0, 1), (3, 9), (7, 7), (10, 40), (39, 40)]
    starts, ends = (numpy.array(column, dtype="int64") for column in zip(*spans))
    means, backprop = span_means(ops, prefix_sums(ops, X), starts, ends)
    expected = [X[s:e].mean(axis=0) if e > s else numpy.zeros(5) for s, e in spans]
    numpy.testing.assert_allclose(means, expected, atol=1e-6)
    d_means = rng.normal(size=means.shape).astype("float32")
    dX = numpy.zeros_like(X)
    for (s, e), d in zip(spans, d_means):
        dX[s:e] += d / max(e - s, 1)
    numpy.testing.assert_allclose(backprop(d_means), dX, atol=1e-6)


@pytest.fixture(scope="module")
def relation_nlp():
    """An initialized relation extractor (CNN tok2vec) over given entities."""
    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    nlp.add_pipe("somd_relation_extractor", config={"max_pairs_per_batch": 512})
    docs = [sentence_to_doc(nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    nlp.initialize(lambda: [Example(nlp.make_doc(doc.text), doc) for doc in docs])
    return nlp


def list_line(nlp, n_tokens: int) -> Doc:
    """A 'SPSS 22 , R 4.0.3 , ...' list line: 4 entities every 6 tokens, one sentence."""
    words = (["SPSS", "22", ",", "R", "4.0.3", ","] * n_tokens)[:n_tokens]
    doc = Doc(nlp.vocab, words=words)
    doc.ents = [Span(doc, i, i + 1, label="Application" if i % 3 == 0 else "Version") for i in range(n_tokens) if i % 3 != 2]
    return doc


def test_chunked_pair_scores_equal_the_whole_batch(relation_nlp):
    rel = relation_nlp.get_pipe("somd_relation_extractor")
    docs = [sentence_to_doc(relation_nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    docs.append(list_line(relation_nlp, 60))
    pairs = [rel.candidates(doc) for doc in docs]
    whole = rel.model.predict((docs, pairs))
    assert whole.shape[0] == sum(map(len, pairs)) > 200
    for max_pairs in (1, 7, 100, 10**6):
        numpy.testing.assert_allclose(predict_in_chunks(rel.model, (docs, pairs), max_pairs), whole, atol=1e-5)


def test_a_line_of_800_entities_is_scored_in_bounded_memory_with_nothing_dropped(relation_nlp):
    rel = relation_nlp.get_pipe("somd_relation_extractor")
    rel.cfg["threshold"] = 0.0
    doc = list_line(relation_nlp, 1_200)
    assert len(doc.ents) == 800
    tracemalloc.start()
    pairs, probs = rel.predict([doc])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # 40,000 pairs, each with a between span of up to 100 tokens: gathering their token
    # vectors at once took gigabytes; 512 pairs at a time needs a few megabytes
    assert len(pairs[0]) > 40_000 and probs.shape == (len(pairs[0]), len(rel.classes))
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MiB"
    rel.set_annotations([doc], (pairs, probs))
    predicted = {(r["head"], r["tail"]) for r in doc._.get(RELATIONS_ATTR)}
    best = probs.argmax(axis=1)
    assert len(predicted) == int((best != 0).sum()) > 0


IDENTIFIER_CHARS = "abcdef0123456789"


def identifiers(rng: random.Random, n: int) -> List[str]:
    """Hex identifiers: each takes several word pieces of the tiny BERT."""
    return ["".join(rng.choice(IDENTIFIER_CHARS) for _ in range(8)) for _ in range(n)]


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
    nlp = transformer_nlp(tiny_bert, "spacy_somd.PieceBoundedTransformer.v1")
    nlp.to_disk(tmp_path / "pipeline")
    for pipeline in (nlp, spacy.load(tmp_path / "pipeline")):
        trf_data = pipeline(Doc(pipeline.vocab, words=words))._.trf_data
        assert trf_data.align.lengths.min() >= 1
        assert len(trf_data.align.lengths) == len(words)


def test_fit_window_gives_consecutive_parts_within_the_maximum(tiny_bert):
    nlp = transformer_nlp(tiny_bert, "spacy_somd.PieceBoundedTransformer.v1")
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
