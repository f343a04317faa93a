"""The gold usage flags of a reference doc.

A reference doc that has the span group ``doc.spans["somd_usage"]`` annotates every one of
its software entities (``doc.ents`` whose label is a software type): each span of the group
says that the flag it is labelled with (``used``, ``created``, ``shared``) holds for the
software entity of the same boundaries; a flag without a span is false. A doc without the
group has no gold flags: nothing of it is trained or scored."""

from typing import Dict, Iterable, Optional, Set, Tuple

from spacy.tokens import Doc, Span

from spacy_somd.labels import USAGE_KEY

Offsets = Tuple[int, int]


def software_entities(doc: Doc, software_labels: Iterable[str]) -> Tuple[Span, ...]:
    """The doc's entities whose label is one of ``software_labels``."""
    wanted = set(software_labels)
    return tuple(ent for ent in doc.ents if ent.label_ in wanted)


def gold_usage(reference: Doc, software_labels: Iterable[str]) -> Optional[Dict[Offsets, Set[str]]]:
    """Each software entity's gold flags keyed by its character offsets, or None for a doc
    without the ``somd_usage`` group. A span of the group on no software entity is an
    error naming it."""
    if USAGE_KEY not in reference.spans:
        return None
    gold: Dict[Offsets, Set[str]] = {(ent.start_char, ent.end_char): set() for ent in software_entities(reference, software_labels)}
    for span in reference.spans[USAGE_KEY]:
        key = (span.start_char, span.end_char)
        if key not in gold:
            raise ValueError(
                f"doc.spans[{USAGE_KEY!r}]: the span {span.text!r} [{key[0]}, {key[1]}) labelled {span.label_!r} is not a software entity of the doc "
                f"(its entities of the types {sorted(set(software_labels))}: {[e.text for e in software_entities(reference, software_labels)]})"
            )
        gold[key].add(span.label_)
    return gold
