"""Typed relation records: a view of ``doc._.somd_relations`` computed on access.

The stored dicts (``{"head", "tail", "label"}``, and ``"score"``/``"scores"`` where the
relation extractor predicted them; head and tail the first tokens of two entities of
``doc.ents``) stay what DocBins, the corpus files and trained pipelines hold. The records,
and the extensions below, are computed from them on every access and store nothing, so
they can never disagree with the dicts or with ``doc.ents``:

- ``doc._.somd_relation_spans``: the doc's :class:`Relation` records (as :func:`relation_records`);
- ``span._.somd_attributes``: a software entity's attributes, by relation label;
- ``span._.somd_software``: the software entities an attribute belongs to.

Each access reads the doc's relations once (time linear in its entities and relations): to
visit every relation of a doc, take :func:`relation_records` once rather than asking every entity.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from spacy.tokens import Doc, Span

from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions

RELATION_SPANS_ATTR = "somd_relation_spans"
ATTRIBUTES_ATTR = "somd_attributes"
SOFTWARE_ATTR = "somd_software"


@dataclass(frozen=True)
class Relation:
    """One relation: ``attribute`` (the head: a version, developer, URL, citation, ... or
    the dependent software of ``PlugIn_of``, ``Extension_of``, ...) belongs to ``software``
    (the tail). Both are entities of ``doc.ents``. ``score`` is the relation extractor's
    probability of ``label`` for the pair, ``None`` for a relation stored without one (gold
    annotations)."""

    label: str
    attribute: Span
    software: Span
    score: Optional[float] = None


def entity_at(doc: Doc, starts: Mapping[int, Span], number: int, relation: Mapping[str, Any], key: str) -> Span:
    """The entity whose first token is the relation's ``key`` ("head" or "tail"); an error
    naming the relation if there is none."""
    index = relation[key]
    entity = starts.get(index)
    if entity is None:
        in_doc = isinstance(index, int) and 0 <= index < len(doc)
        where = f"token {index} {doc[index].text!r}" if in_doc else f"{index!r} (the doc has {len(doc)} tokens)"
        raise ValueError(f"{describe(number, relation)}: its {key} {where} is not the first token of an entity of doc.ents")
    return entity


def describe(number: int, relation: Mapping[str, Any]) -> str:
    return f"doc._.{RELATIONS_ATTR}[{number}] {dict(relation)!r}"


def record(doc: Doc, starts: Mapping[int, Span], number: int, relation: Mapping[str, Any]) -> Relation:
    """The record of the ``number``-th stored relation; an error naming it if it lacks a
    field or does not join two entities."""
    missing = [key for key in ("label", "head", "tail") if key not in relation]
    if missing:
        raise ValueError(f"{describe(number, relation)}: lacks {', '.join(missing)}")
    head, tail = (entity_at(doc, starts, number, relation, key) for key in ("head", "tail"))
    return Relation(relation["label"], head, tail, relation.get("score"))


def relation_records(doc: Doc) -> List[Relation]:
    """The doc's relations as records, in the order of ``doc._.somd_relations``. A stored
    relation without a label, head or tail, or whose head or tail is not the first token
    of an entity of ``doc.ents``, raises ``ValueError`` naming it."""
    ensure_extensions()
    starts = {ent.start: ent for ent in doc.ents}
    return [record(doc, starts, number, rel) for number, rel in enumerate(doc._.get(RELATIONS_ATTR) or [])]


def same_boundaries(a: Span, b: Span) -> bool:
    return a.start == b.start and a.end == b.end


def attributes(span: Span) -> Dict[str, List[Span]]:
    """The attributes of a software entity grouped by relation label (in the order of
    ``doc._.somd_relations``); empty for a span that is not the software of any relation
    (a span that is not an entity among them)."""
    grouped: Dict[str, List[Span]] = {}
    for rel in relation_records(span.doc):
        if same_boundaries(rel.software, span):
            grouped.setdefault(rel.label, []).append(rel.attribute)
    return grouped


def software(span: Span) -> List[Span]:
    """The software entities an attribute belongs to (one per relation, in the order of
    ``doc._.somd_relations``); empty for a span that is the attribute of no relation."""
    return [rel.software for rel in relation_records(span.doc) if same_boundaries(rel.attribute, span)]


def ensure_relation_extensions() -> None:
    """Register ``doc._.somd_relation_spans``, ``span._.somd_attributes`` and
    ``span._.somd_software`` (getters, no stored state) and the stored relations'
    extension; idempotent: a name that is already registered is left as it is."""
    ensure_extensions()
    if not Doc.has_extension(RELATION_SPANS_ATTR):
        Doc.set_extension(RELATION_SPANS_ATTR, getter=relation_records)
    if not Span.has_extension(ATTRIBUTES_ATTR):
        Span.set_extension(ATTRIBUTES_ATTR, getter=attributes)
    if not Span.has_extension(SOFTWARE_ATTR):
        Span.set_extension(SOFTWARE_ATTR, getter=software)


# Registered when this module is imported, which every pipeline does: spaCy imports the
# plugins' factory modules (and so this one) whenever it builds a Language, a blank one too.
ensure_relation_extensions()
