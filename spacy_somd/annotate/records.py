"""Output records: one per input record, built from the annotated docs of its sentences.

A record is ``{"id", "sentences", "entities", "relations"}``; character offsets point into
the input text (``text[start:end]`` is the entity's text), token offsets count the tokens
of the whole text, ``sentence`` is a sentence's number in the record, relations name their
attribute and software entity by their number in ``entities``. Where the pipeline says what
the article did with its software (``somd_software_usage``), a software entity also has
``usage`` (flag -> probability) and ``usage_flags`` (the flags that hold). Scores are rounded to
``DIGITS`` decimals, so that the engines' records are equal whatever their batches."""

from typing import Any, Dict, List, NamedTuple, Sequence, Tuple

from spacy.tokens import Doc

from spacy_somd.labels import RELATIONS_ATTR, USAGE_KEY

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
        flagged = usage_flags(part.doc)
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
            usage = ent._.get(USAGE_KEY) if ent.has_extension(USAGE_KEY) else None
            if usage is not None:
                entities[-1]["usage"] = {flag: round(p, DIGITS) for flag, p in usage.items()}
                entities[-1]["usage_flags"] = flagged.get((ent.start, ent.end), [])
        for rel in part.doc._.get(RELATIONS_ATTR) or []:
            relations.append({"type": rel["label"], "attribute": numbers[rel["head"]], "software": numbers[rel["tail"]], "score": round(rel["score"], DIGITS)})
    return {"id": record_id, "sentences": out_sentences, "entities": entities, "relations": relations}


def usage_flags(doc: Doc) -> Dict[Tuple[int, int], List[str]]:
    """The flags that hold per software entity (token offsets), from ``doc.spans["somd_usage"]``."""
    flags: Dict[Tuple[int, int], List[str]] = {}
    for span in doc.spans[USAGE_KEY] if USAGE_KEY in doc.spans else []:
        flags.setdefault((span.start, span.end), []).append(span.label_)
    return flags
