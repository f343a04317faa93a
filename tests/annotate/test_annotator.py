"""The annotator (``spacy_somd.annotate.annotator``): texts cut into pieces at sentence
ends, offsets into the raw text, strings of new words freed, long texts cut not dropped."""

from spacy_somd.annotate.annotator import ZONE_RECORDS, Annotator, pieces
from spacy_somd.annotate.inputs import Record
from tests.builders.annotate import ANNOTATE_TEXTS


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
