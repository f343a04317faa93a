"""The annotator (``spacy_somd.annotate.annotator``): texts cut into pieces at sentence
ends, offsets into the raw text, strings of new words freed, long texts cut not dropped."""

import spacy

from spacy_somd.annotate.annotator import ZONE_RECORDS, Annotator, bounded, drop_hidden_states, pieces, token_batches
from spacy_somd.annotate.inputs import Record
from tests.builders.annotate import ANNOTATE_PATTERNS, ANNOTATE_TEXTS


def test_pieces_cut_at_sentence_ends_and_cover_the_text():
    text = "One sentence here. Another one follows!\nA third line without end and more words"
    cut = list(pieces(text, 25))
    assert "".join(piece for _, piece in cut) == text
    assert all(text[offset : offset + len(piece)] == piece and len(piece) <= 25 for offset, piece in cut)
    assert [piece for _, piece in cut][:2] == ["One sentence here. ", "Another one follows!\n"]
    assert list(pieces("x" * 10, 4)) == [(0, "xxxx"), (4, "xxxx"), (8, "xx")]


def test_offsets_point_into_the_text(model):
    """Entities, sentences and tokens point into the input text exactly, through double
    spaces, tabs, line breaks and non-ASCII letters."""
    annotator = Annotator(str(model), [])
    records = [Record(i, f"line {i + 1}", f"doc{i}", text) for i, text in enumerate(ANNOTATE_TEXTS)]
    annotated = list(annotator.annotate(records))
    assert [a.record["id"] for a in annotated] == [r.id for r in records]
    n_entities = 0
    for record, item in zip(records, annotated):
        text, out = record.text, item.record
        tokens = annotator.nlp.make_doc(text)
        for ent in out["entities"]:
            assert text[ent["start"] : ent["end"]] == ent["text"]
            assert tokens[ent["start_token"] : ent["end_token"]].text == ent["text"]
            sentence = out["sentences"][ent["sentence"]]
            assert sentence["start"] <= ent["start"] < ent["end"] <= sentence["end"]
            n_entities += 1
        ends = [(s["start"], s["end"]) for s in out["sentences"]]
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ends, ends[1:]))
        assert all(text[start:end].strip() == text[start:end] for start, end in ends if text[start:end].strip())
        for rel in out["relations"]:
            assert out["entities"][rel["attribute"]]["sentence"] == out["entities"][rel["software"]]["sentence"]
    assert n_entities >= 15
    texts = [[e["text"] for e in a.record["entities"]] for a in annotated]
    assert {"GraphPad Prism", "8", "Müller & Söhne"} <= set(texts[2])
    assert len(annotated[0].record["sentences"]) == 2  # "analysis.  Statistics": two sentences


def test_strings_of_new_words_are_freed(model):
    """The strings of the words the annotated texts bring live in memory zones: annotating
    more records than one zone holds, every record with words never seen before, leaves
    the string store as it was."""
    annotator = Annotator(str(model), [])
    texts = [f"We used Tool{i}x version 9.{i} with Qwerty{i}zz." for i in range(ZONE_RECORDS + 5)]
    records = [Record(i, f"line {i + 1}", f"doc{i}", text) for i, text in enumerate(texts)]
    annotator.annotate(records[:1]).__next__()  # the first call's own strings (labels, ...)
    before = len(annotator.nlp.vocab.strings)
    annotated = list(annotator.annotate(records))
    assert len(annotator.nlp.vocab.strings) == before
    assert [a.record["id"] for a in annotated] == [r.id for r in records]
    assert [len(a.record["sentences"]) for a in annotated] == [1] * len(records)


def test_texts_over_max_length_are_cut_not_dropped(model):
    """A text over max_length is annotated in pieces, with the offsets and the record of
    the whole text (the pieces end at sentence ends)."""
    text = " ".join([ANNOTATE_TEXTS[i] for i in (0, 3, 5)] * 3)
    record = Record(0, "line 1", "long", text)
    annotator = Annotator(str(model), [])
    (whole,) = annotator.annotate([record])
    annotator.nlp.max_length = 120
    (cut,) = annotator.annotate([record])
    assert whole.pieces == 1 and cut.pieces > 3
    assert cut.record == whole.record
    assert all(text[e["start"] : e["end"]] == e["text"] for e in cut.record["entities"])


def test_bounded_cuts_a_long_sentence_after_punctuation_or_at_the_limit():
    nlp = spacy.blank("en")
    doc = nlp(" ".join(["word"] * 10 + [","] + ["word"] * 20))
    parts = list(bounded(doc[:], 8))
    assert [len(p) for p in parts] == [8, 3, 8, 8, 4]  # the window holding "," cuts after it
    assert parts[1][-1].text == ","
    assert [t.i for p in parts for t in p] == list(range(len(doc)))  # every token, in order, once
    assert list(bounded(doc[:3], 8)) == [doc[:3]]


def test_a_sentence_over_the_token_bound_is_annotated_in_parts_not_dropped(model):
    """A text without sentence punctuation is annotated in parts of at most
    max_sentence_tokens tokens: every entity of the whole is found, with offsets into the
    text, and no sentence is longer than the bound."""
    text = " ".join(ANNOTATE_TEXTS[i].replace(".", "") for i in (0, 3, 5)) * 4
    record = Record(0, "line 1", "unpunctuated", text)
    annotator = Annotator(str(model), [])
    (whole,) = annotator.annotate([record])
    annotator.max_sentence_tokens = 16
    (cut,) = annotator.annotate([record])
    tokens = annotator.nlp.make_doc(text)
    assert len(cut.record["sentences"]) > 2 * len(whole.record["sentences"])
    assert all(len(annotator.nlp.make_doc(text[s["start"] : s["end"]])) <= 16 for s in cut.record["sentences"])
    assert sum(s["end"] - s["start"] for s in cut.record["sentences"]) <= len(text)
    for ent in cut.record["entities"]:
        assert text[ent["start"] : ent["end"]] == ent["text"]
        assert tokens[ent["start_token"] : ent["end_token"]].text == ent["text"]
    # the ruler's names (every occurrence, matched on tokens) are all found in the parts that hold them whole
    names = {p["pattern"] for p in ANNOTATE_PATTERNS}
    starts = {s["start"] for s in cut.record["sentences"]}
    expected = [(e["start"], e["text"]) for e in whole.record["entities"] if e["text"] in names and not any(e["start"] < c < e["end"] for c in starts)]
    assert len(expected) >= 12
    assert set(expected) <= {(e["start"], e["text"]) for e in cut.record["entities"]}


def test_annotated_docs_let_go_of_their_hidden_states():
    """What the components left on a doc and no output needs (the transformer's outputs, the
    token vectors) is freed as soon as the doc is annotated, not held until its record ends."""
    import numpy
    from spacy.tokens import Doc

    if not Doc.has_extension("trf_data"):  # as the transformer component registers it
        Doc.set_extension("trf_data", default=None)
    doc = spacy.blank("en")("SPSS 22")
    doc.tensor = numpy.ones((2, 384), dtype="float32")
    doc._.trf_data = "the transformer's outputs"
    drop_hidden_states(doc)
    assert doc._.trf_data is None and doc.tensor.size == 0


def test_token_batches_hold_at_most_the_budget_and_every_doc_once():
    nlp = spacy.blank("en")
    lengths = [3, 5, 1, 12, 2, 2, 2, 2, 2, 2, 7, 4, 30, 1]
    docs = [(nlp.make_doc(" ".join(["w"] * n)), number) for number, n in enumerate(lengths)]
    batches = list(token_batches(docs, 12, 4))
    assert [item for batch in batches for item in batch] == docs  # every doc, in order, once
    assert [[len(doc) for doc, _ in batch] for batch in batches] == [[3, 5, 1], [12], [2, 2, 2, 2], [2, 2, 7], [4], [30], [1]]
    assert all(len(batch) <= 4 and (sum(len(doc) for doc, _ in batch) <= 12 or len(batch) == 1) for batch in batches)
    assert list(token_batches([], 12, 4)) == []


def test_the_pipeline_sees_batches_within_the_token_budget(model):
    """The components get batches of at most batch_tokens tokens, every sentence exactly
    once and in order, and the records are those of batches of any size (offsets into the
    text unchanged)."""
    texts = [" ".join(ANNOTATE_TEXTS[i].replace(".", "") for i in (0, 3, 5)) * 3, *ANNOTATE_TEXTS, "SPSS 22 " * 40]
    records = [Record(i, f"line {i + 1}", f"doc{i}", text) for i, text in enumerate(texts)]
    plain = Annotator(str(model), [])
    plain.max_sentence_tokens = 16
    expected = [item.record for item in plain.annotate(records)]
    annotator = Annotator(str(model), [], batch_size=64, batch_tokens=40)
    annotator.max_sentence_tokens = 16
    recorder = annotator.nlp.add_pipe("somd_test_batch_recorder")
    annotated = [item.record for item in annotator.annotate(records)]
    assert annotated == expected
    sentence_lengths = [len(part.doc) for record in records for part in annotator.sentences(record.text)[0]]
    assert [n for batch in recorder.batches for n in batch] == sentence_lengths
    assert sum(len(r["sentences"]) for r in annotated) == len(sentence_lengths) > 20
    assert all(sum(batch) <= 40 for batch in recorder.batches) and max(len(batch) for batch in recorder.batches) > 1
    for record, out in zip(records, annotated):
        assert all(record.text[e["start"] : e["end"]] == e["text"] for e in out["entities"])
