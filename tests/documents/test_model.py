"""White space made single spaces, the offsets of spans moved along: a span's text is its
old text with the same rule applied, for any text."""

from hypothesis import given
from hypothesis import strategies as st

from spacy_somd.documents.model import Document, normalize

TEXT = st.text(alphabet=st.sampled_from(list("ab Ü.\n\t\u00a0\u2003")), max_size=40)


@given(TEXT, st.data())
def test_spans_keep_their_text_through_normalization(text, data):
    spans = []
    for _ in range(data.draw(st.integers(0, 4))):
        start = data.draw(st.integers(0, len(text)))
        spans.append((start, data.draw(st.integers(start, len(text)))))
    new, moved = normalize(text, spans)
    assert new == " ".join(text.split())
    for (start, end), (a, b) in zip(spans, moved):
        assert new[a:b] == " ".join(text[start:end].split())


def test_paragraphs_without_text_are_left_out_and_rejects_keep_their_place():
    document = Document("d", "", "d.txt")
    document.add("One.", "body")
    document.add(" \n ", "body")
    document.reject("d.txt, page 2", "no text layer")
    document.add("Two.", "body")
    assert [p.index for p in document.paragraphs] == [0, 2] and [r.index for r in document.rejected] == [1]
