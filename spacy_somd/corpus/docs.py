"""Sentences <-> spaCy Docs. A sentence's tokens are exactly the file's space-separated
tokens. Gold entities become ``doc.ents``; gold relations are stored in
``doc._.somd_relations`` as a list of ``{"head": i, "tail": j, "label": "Version_of"}``
dicts, where ``head`` is the first token of the attribute (or dependent software) and
``tail`` the first token of the software it belongs to. ``doc._.somd_line`` keeps the
1-based line number of the sentence."""

from typing import List, Tuple

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from spacy_somd.corpus.format import Sentence, bio_to_spans
from spacy_somd.labels import LINE_ATTR, RELATIONS_ATTR, ensure_extensions


def doc_bio(doc: Doc) -> List[str]:
    """The BIO label of every token of a Doc (``O`` where no entity)."""
    return [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in doc]


def sentence_to_doc(vocab: Vocab, sentence: Sentence) -> Doc:
    """A Doc with the sentence's exact tokens, its entities and relations."""
    ensure_extensions()
    words = sentence.words
    doc = Doc(vocab, words=words, spaces=[True] * max(len(words) - 1, 0) + [False] * bool(words))
    if sentence.labels is not None:
        doc.ents = [Span(doc, s, e, label=t) for s, e, t in bio_to_spans(sentence.labels)]
        doc._.set(RELATIONS_ATTR, [{"head": head, "tail": tail, "label": label} for label, head, tail in sentence.relations])
    doc._.set(LINE_ATTR, sentence.line)
    return doc


def doc_to_lines(doc: Doc) -> Tuple[str, str, str]:
    """A Doc's texts, entities and relations lines in the SOMD format."""
    relations = doc._.get(RELATIONS_ATTR) or []
    return (" ".join(t.text for t in doc), " ".join(doc_bio(doc)), "; ".join(f"{r['label']}\t{r['head']}\t{r['tail']}" for r in relations))
