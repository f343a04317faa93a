"""Document-level consistency of the software found in a document's paragraphs
(``annotate --consistency``; off by default until measured).

- **Propagation.** A software name the pipeline found in one paragraph of a document is
  added wherever else the same text occurs in the document (exact, case-sensitive, at word
  boundaries) and nothing was found there: an entity of the name's most frequent type,
  flagged ``"propagated": true`` (no token offsets; its sentence is the sentence it is in).
  Names of one or two characters and common words (below) are not propagated.
- **Dropping.** A software name found once in the document that is a common lowercase
  English word (spaCy's English stop words and ``COMMON_WORDS``) is taken out of the
  entities into the record's ``dropped`` list, with its reason, and so are its relations.

Applied at the end of a run, over the output in order, a document at a time (a document
may span partitions: memory is a partition and a document). A record it has been applied
to holds ``dropped`` (possibly empty); the decisions depend only on the pipeline's own
predictions (the entities not propagated, and those dropped), so applying it again, after
an interruption, gives the same output."""

import re
from collections import Counter, defaultdict
from typing import Any, Dict, List, Set, Tuple

from spacy.lang.en.stop_words import STOP_WORDS

from spacy_somd.labels import SOFTWARE_TYPES

COMMON_WORDS = frozenset(
    "analysis application code data database figure file files image images model models online package platform program script scripts "
    "server software system table tool tools version web".split()
)
MIN_PROPAGATED = 3  # characters: shorter names (R, C, Qt) are not propagated
DROP_REASON = "a one-off common lowercase word (document-level consistency)"


def is_common(text: str) -> bool:
    return text.islower() and (text in STOP_WORDS or text in COMMON_WORDS)


def predicted(record: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The software the pipeline itself found in a record: its entities not propagated and
    those dropped."""
    ents = [e for e in record["entities"] if not e.get("propagated")] + list(record.get("dropped") or [])
    return [e for e in ents if e["label"] in SOFTWARE_TYPES]


def apply_document(records: List[Tuple[Dict[str, Any], str, bool]]) -> None:
    """Apply the rules to a document's records, each (record, its paragraph's text,
    whether to change it: a record applied before is context only)."""
    counts: Counter = Counter()
    labels: Dict[str, Counter] = defaultdict(Counter)
    for record, _, _ in records:
        for entity in predicted(record):
            counts[entity["text"]] += 1
            labels[entity["text"]][entity["label"]] += 1
    dropped = {text for text, n in counts.items() if n == 1 and is_common(text)}
    names = sorted((t for t in counts if len(t) >= MIN_PROPAGATED and t not in dropped and not is_common(t.lower())), key=lambda t: (-len(t), t))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)") if names else None
    for record, text, change in records:
        if change:
            reset(record)
            drop(record, dropped)
            if pattern is not None:
                propagate(record, text, pattern, labels)


def reset(record: Dict[str, Any]) -> None:
    """A record as the pipeline wrote it (undo an earlier application)."""
    if record.get("dropped") or any(e.get("propagated") for e in record["entities"]):
        raise ValueError(f"record {record['id']}: consistency was applied to it already")
    record["dropped"] = []


def drop(record: Dict[str, Any], texts: Set[str]) -> None:
    """Move the record's software entities whose text is in ``texts`` into ``dropped``,
    with their relations, and renumber the relations of the others."""
    entities = record["entities"]
    gone = {n for n, e in enumerate(entities) if e["label"] in SOFTWARE_TYPES and e["text"] in texts}
    if not gone:
        return
    new_number = {}
    kept: List[Dict[str, Any]] = []
    for number, entity in enumerate(entities):
        if number in gone:
            relations = [
                {"type": r["type"], "attribute": entities[r["attribute"]]["text"], "software": entities[r["software"]]["text"], "score": r["score"]}
                for r in record["relations"]
                if number in (r["attribute"], r["software"])
            ]
            record["dropped"].append({**entity, "reason": DROP_REASON, "relations": relations})
        else:
            new_number[number] = len(kept)
            kept.append(entity)
    record["relations"] = [
        {**r, "attribute": new_number[r["attribute"]], "software": new_number[r["software"]]}
        for r in record["relations"]
        if r["attribute"] in new_number and r["software"] in new_number
    ]
    record["entities"] = kept


def propagate(record: Dict[str, Any], text: str, pattern: "re.Pattern[str]", labels: Dict[str, Counter]) -> None:
    """Add the document's names where they occur in ``text`` outside the record's entities."""
    taken = [(e["start"], e["end"]) for e in record["entities"]]
    starts = [s["start"] for s in record["sentences"]]
    for match in pattern.finditer(text):
        start, end = match.span()
        if any(start < b and a < end for a, b in taken):
            continue
        label = sorted(labels[match.group()].items(), key=lambda item: (-item[1], item[0]))[0][0]
        sentence = max((n for n, s in enumerate(starts) if s <= start), default=0)
        record["entities"].append(
            {
                "text": match.group(),
                "label": label,
                "start": start,
                "end": end,
                "start_token": None,
                "end_token": None,
                "sentence": sentence,
                "propagated": True,
            }
        )
        taken.append((start, end))
