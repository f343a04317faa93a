"""Entities re-drawn over runs of pieces (URLs, citations), carrying their confidence; the
token-to-entity index and the entity replacement the rule pipes share."""

from typing import Collection, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span

from spacy_somd.pipeline.confidence import CONFIDENCE_ATTR

Run = Tuple[int, int]


def entity_index(doc: Doc) -> Tuple[List[Span], List[int]]:
    """The doc's entities and, for each token, the index of its entity among them (-1 for
    none): what overlaps a span is then read in time linear in the span."""
    ents = list(doc.ents)
    entity_at = [-1] * len(doc)
    for k, ent in enumerate(ents):
        entity_at[ent.start : ent.end] = [k] * len(ent)
    return ents, entity_at


def replace_entities(doc: Doc, ents: Sequence[Span], dropped: Collection[int], new: Iterable[Span]) -> None:
    """Set ``doc.ents`` to ``ents`` but those at the indices ``dropped``, and ``new``."""
    kept = [ent for k, ent in enumerate(ents) if k not in dropped]
    doc.ents = sorted(kept + list(new), key=lambda span: span.start)


def redraw_runs(doc: Doc, runs: Sequence[Run], label: str) -> int:
    """Re-draw the ``label`` entities of ``doc`` that overlap one of ``runs`` as the whole
    run; the number of runs re-drawn. The other entities that overlap a re-drawn run go,
    except that one beginning before the first run it overlaps keeps its words before it.
    A re-drawn entity keeps the lowest confidence of the ``label`` entities it was drawn
    from, a cut one its own (where ``somd_entity_confidence`` ran before)."""
    ents, entity_at = entity_index(doc)
    new: List[Tuple[Span, List[Span]]] = []
    first_start: Dict[int, int] = {}  # entity -> the start of the first re-drawn run it overlaps
    for start, end in runs:
        inside = [k for k in dict.fromkeys(entity_at[start:end]) if k >= 0]
        drawn = [ents[k] for k in inside if ents[k].label_ == label]
        if drawn:
            new.append((Span(doc, start, end, label=label), drawn))
            first_start.update((k, start) for k in inside if k not in first_start)
    if not new:
        return 0
    runs_drawn = len(new)
    cut = {k: start for k, start in first_start.items() if ents[k].label_ != label and ents[k].start < start}
    new += [(Span(doc, ents[k].start, stop, label=ents[k].label), [ents[k]]) for k, stop in cut.items()]
    replace_entities(doc, ents, first_start, [span for span, _ in new])
    for span, sources in new:
        carry_confidence(span, sources)
    return runs_drawn


def carry_confidence(span: Span, sources: Sequence[Span]) -> None:
    """Give ``span`` the lowest confidence of the entities it was drawn from, where
    ``somd_entity_confidence`` has registered its extension."""
    if Span.has_extension(CONFIDENCE_ATTR):
        span._.set(CONFIDENCE_ATTR, lowest_confidence(sources))


def lowest_confidence(spans: Sequence[Span]) -> Optional[float]:
    """The lowest confidence of ``spans`` (``somd_entity_confidence`` ran before), else None."""
    values = [value for value in (span._.get(CONFIDENCE_ATTR) for span in spans) if value is not None]
    return min(values) if values else None
