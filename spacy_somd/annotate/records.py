"""Output records: one per input record, built from the annotated docs of its sentences.

A record is ``{"id", "sentences", "entities", "relations"}``; character offsets point into
the input text (``text[start:end]`` is the entity's text), token offsets count the tokens
of the whole text, ``sentence`` is a sentence's number in the record, relations name their
attribute and software entity by their number in ``entities``. Scores are rounded to
``DIGITS`` decimals, so that the engines' records are equal whatever their batches."""

from typing import Any, Dict, List, NamedTuple, Sequence

from spacy.tokens import Doc

from spacy_somd.labels import RELATIONS_ATTR

DIGITS = 4


class SentencePart(NamedTuple):
    """A sentence: its doc, where the doc starts in the record's text and tokens, and the
    sentence's characters without the white space around it."""

    doc: Doc
    char_offset: int
    token_offset: int
    start: int
    end: int


def build_record(record_id: str, sentences: Sequence[SentencePart]) -> Dict[str, Any]:
    """The output record of an input record from its sentences, in text order."""
    out_sentences: List[Dict[str, Any]] = []
    entities: List[Dict[str, Any]] = []
    relations: List[Dict[str, Any]] = []
    for number, part in enumerate(sentences):
        cats = {label: round(score, DIGITS) for label, score in part.doc.cats.items()}
        out_sentences.append({"start": part.start, "end": part.end, "cats": cats})
        numbers = {}
        for ent in part.doc.ents:
            numbers[ent.start] = len(entities)
            entities.append(
                {
                    "text": ent.text,
                    "label": ent.label_,
                    "start": part.char_offset + ent.start_char,
                    "end": part.char_offset + ent.end_char,
                    "start_token": part.token_offset + ent.start,
                    "end_token": part.token_offset + ent.end,
                    "sentence": number,
                }
            )
        for rel in part.doc._.get(RELATIONS_ATTR) or []:
            relations.append({"type": rel["label"], "attribute": numbers[rel["head"]], "software": numbers[rel["tail"]], "score": round(rel["score"], DIGITS)})
    return {"id": record_id, "sentences": out_sentences, "entities": entities, "relations": relations}
