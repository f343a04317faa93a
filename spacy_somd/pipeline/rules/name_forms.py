"""Short and long forms of a software name in brackets: ``somd_long_names``,
``somd_name_forms`` and ``somd_name_form_relations``.

Papers introduce a tool with its other name in brackets: "SPSS ( Statistical Package for
the Social Sciences )", the long form after a short name (an AlternativeName in SOMD), or
"Statistical Analysis System ( SAS )", the short form after a long name (an
Abbreviation). Both types are rare in the corpus (14 and 58 mentions of 4,182) and the NER
misses many; the pairs themselves are easy to recognise with the rule of Schwartz & Hearst
(2003, "A simple algorithm for identifying abbreviation definitions in biomedical text"):
the short form's letters and digits, from its last to its first, are found in that order in
the long form, the first one at the start of a word.

``somd_long_names``, after the NER, re-draws a software entity followed by an acronym in
brackets (two capitals or more, then ")", ";" or ",") as the acronym's long form where that
begins before the entity ("Advanced Imaging ( JAI )" -> "Java Advanced Imaging"): the NER
often takes only the last words of a long name. ``somd_name_forms`` then looks at every
software entity followed by "(" (a "™", "®" or a Version entity may come between). Where the
entity is one word of 2-10 characters and the bracket holds, up to ")" or ";", at most
``min(n + 5, 2 * n)`` words (``n`` the short form's characters) that are its long form, the
long form becomes an entity of ``long_label``; where the entity has several words and the
bracket holds one word that is its short form, that word becomes an entity of
``short_label``. Entities inside the new one go; where an entity crosses the bracket, the
pair is left as the NER has it. ``somd_name_form_relations``, after the relation extractor,
finds the same pairs and relates each name to its other form where that form is an entity
of its label.
"""

import re
from typing import Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from spacy_somd.labels import RELATIONS_ATTR, SOFTWARE_TYPES, ensure_extensions
from spacy_somd.pipeline.rules.redraw import carry_confidence, entity_index, replace_entities

SOFTWARE_LABELS = list(SOFTWARE_TYPES)
MARKS = frozenset({"™", "®"})
CLOSERS = frozenset({")", ";"})
SHORT_FORM_ENDS = CLOSERS | {","}
LONG_FORM_WORD = re.compile(r"[^\W\d_][\w'’]*|-")  # "Statistical", "geo", "-", not "18.0"
MAX_SHORT, MAX_BRACKET = 10, 20


def max_long_form_words(short: str) -> int:
    """The most words a long form of ``short`` may have (Schwartz & Hearst): ``min(n + 5,
    2 * n)``, ``n`` its characters."""
    return min(len(short) + 5, 2 * len(short))


def is_short_form(text: str) -> bool:
    """Whether ``text`` can be a short form: 2-10 characters, a letter, alphanumeric first."""
    return 2 <= len(text) <= MAX_SHORT and text[0].isalnum() and any(c.isalpha() for c in text)


def long_form_start(short: str, words: Sequence[str]) -> Optional[int]:
    """The index of the word of ``words`` where the long form of ``short`` begins (Schwartz &
    Hearst), or None where ``words`` hold none."""
    text = " ".join(words).lower()
    position = len(text) - 1
    letters = [c for c in short.lower() if c.isalnum()]
    for k in range(len(letters) - 1, -1, -1):
        while position >= 0 and (text[position] != letters[k] or (k == 0 and position > 0 and text[position - 1].isalnum())):
            position -= 1
        if position < 0:
            return None
        position -= 1
    return text.count(" ", 0, position + 1)


def bracket_end(words: Sequence[str], open_at: int) -> int:
    """The index of the ")" or ";" closing the bracket opened at ``open_at`` within
    ``MAX_BRACKET`` words, trailing marks ("™") left before it; 0 where there is none."""
    for end in range(open_at + 1, min(len(words), open_at + MAX_BRACKET + 2)):
        if words[end] in CLOSERS:
            while end - 1 > open_at and words[end - 1] in MARKS:
                end -= 1
            return end
    return 0


def bracket_after(doc: Doc, ent: Span) -> int:
    """The index of the "(" after ``ent``, past marks and Version entities; 0 where none."""
    i = ent.end
    while i < len(doc) and (doc[i].text in MARKS or doc[i].ent_type_ == "Version"):
        i += 1
    return i if i < len(doc) and doc[i].text == "(" else 0


def other_form(ent: Span, words: Sequence[str], long_label: str, short_label: str) -> Optional[Tuple[int, int, str]]:
    """The other form of the name ``ent`` in the bracket after it: (start, end, label)."""
    open_at = bracket_after(ent.doc, ent)
    end = bracket_end(words, open_at) if open_at else 0
    inside = list(words[open_at + 1 : end])
    if not inside:
        return None
    short = ent.text
    if len(ent) == 1 and is_short_form(short) and len(inside) <= max_long_form_words(short):
        lowered = {word.lower() for word in inside}
        if short.lower() in lowered or not all(LONG_FORM_WORD.fullmatch(word) for word in inside):
            return None
        start = long_form_start(short, inside)
        return None if start is None else (open_at + 1 + start, end, long_label)
    if len(ent) > 1 and len(inside) == 1 and is_short_form(inside[0]) and inside[0].lower() != short.lower():
        start = long_form_start(inside[0], [token.text for token in ent])
        return None if start is None else (open_at + 1, end, short_label)
    return None


def is_acronym(text: str) -> bool:
    """Whether ``text`` is a short form with two capitals or more ("JAI", "MiB", not "Systat")."""
    return is_short_form(text) and sum(c.isupper() for c in text) >= 2


def long_name_start(ent: Span, words: Sequence[str], short: str) -> Optional[int]:
    """Where the long form of ``short`` begins among the words up to ``ent``'s end (Schwartz &
    Hearst over at most :func:`max_long_form_words` words, none a number or a mark): None where
    there is none, it has one word only or it holds ``short``."""
    run_start = ent.end
    while run_start > max(0, ent.end - max_long_form_words(short)) and LONG_FORM_WORD.fullmatch(words[run_start - 1]):
        run_start -= 1
    found = long_form_start(short, words[run_start : ent.end])
    if found is None or ent.end - run_start - found < 2:
        return None
    start = run_start + found
    return None if short.lower() in {word.lower() for word in words[start : ent.end]} else start


def acronym_after(ent: Span, words: Sequence[str]) -> Optional[str]:
    """The acronym opening the bracket after ``ent`` ("( JAI )", "( CDK , version 2 )")
    where ``ent`` holds its last letter, else None."""
    open_at = bracket_after(ent.doc, ent)
    if not open_at or open_at + 2 >= len(words) or words[open_at + 2] not in SHORT_FORM_ENDS:
        return None
    short = words[open_at + 1]
    return short if is_acronym(short) and [c for c in short.lower() if c.isalnum()][-1] in ent.text.lower() else None


def long_name(ent: Span, words: Sequence[str]) -> Optional[int]:
    """Where the name ``ent`` should begin: the start of the long form of the acronym after
    it, where that begins before ``ent`` with a capital or ``ent`` holds a mark before it;
    else None."""
    short = acronym_after(ent, words)
    start = None if short is None else long_name_start(ent, words, short)
    if start is None or (start < ent.start and not words[start][0].isupper()):
        return None
    return None if start >= ent.start and all(LONG_FORM_WORD.fullmatch(word) for word in words[ent.start : start]) else start


def lengthen_names(doc: Doc, software_labels: Iterable[str]) -> int:
    """Re-draw each software entity followed by an acronym in brackets ("Advanced Imaging (
    JAI )") as the acronym's long form (:func:`long_name`: "Java Advanced Imaging"); the
    entities inside go, and where one crosses the long form's start the name is left as it
    is. The number re-drawn."""
    labels: Set[str] = set(software_labels)
    words = [token.text for token in doc]
    ents, entity_at = entity_index(doc)
    new: List[Span] = []
    replaced: Set[int] = set()
    for k, ent in enumerate(ents):
        start = long_name(ent, words) if ent.label_ in labels else None
        inside = set() if start is None else {j for j in entity_at[start : ent.end] if j >= 0} - replaced
        if start is not None and all(ents[j].start >= start for j in inside - {k}):
            span = Span(doc, start, ent.end, label=ent.label_)
            carry_confidence(span, [ents[j] for j in inside])
            new.append(span)
            replaced |= inside | {k}
    if new:
        replace_entities(doc, ents, replaced, new)
    return len(new)


def name_form_pairs(doc: Doc, software_labels: Iterable[str], long_label: str, short_label: str) -> List[Tuple[Span, Span]]:
    """(name, other form) for each software name of ``doc`` followed by its other form in
    brackets (see the module's docstring); the other form a new span with its label."""
    labels: Set[str] = set(software_labels)
    words = [token.text for token in doc]
    pairs = []
    for ent in doc.ents:
        if ent.label_ in labels:
            found = other_form(ent, words, long_label, short_label)
            if found is not None:
                pairs.append((ent, Span(doc, found[0], found[1], label=found[2])))
    return pairs


def add_name_forms(doc: Doc, software_labels: Iterable[str], long_label: str, short_label: str) -> int:
    """Set the other forms of ``doc``'s software names as entities; the number set."""
    ents, entity_at = entity_index(doc)
    new: List[Span] = []
    replaced: Set[int] = set()
    for _, span in name_form_pairs(doc, software_labels, long_label, short_label):
        inside = {k for k in entity_at[span.start : span.end] if k >= 0}
        if all(span.start <= ents[k].start and ents[k].end <= span.end for k in inside):
            new.append(span)
            replaced |= inside
    if new:
        replace_entities(doc, ents, replaced, new)
    return len(new)


def relate_name_forms(doc: Doc, labels: "NameFormLabels", long_relation: str, short_relation: str) -> int:
    """For each software name of ``doc`` whose other form in brackets after it is an entity
    of its label, replace the relations headed by the other form by one to the name
    (``long_relation`` or ``short_relation``, score 1.0); the number of pairs related."""
    entities = {(ent.start, ent.end, ent.label_) for ent in doc.ents}
    rule_relations = []
    for name, other in name_form_pairs(doc, *labels):
        if (other.start, other.end, other.label_) in entities:
            label = long_relation if other.label_ == labels.long_label else short_relation
            rule_relations.append({"head": other.start, "tail": name.start, "label": label, "score": 1.0, "scores": {label: 1.0}})
    if rule_relations:
        heads = {relation["head"] for relation in rule_relations}
        relations = [relation for relation in doc._.get(RELATIONS_ATTR) or [] if relation["head"] not in heads]
        doc._.set(RELATIONS_ATTR, sorted(relations + rule_relations, key=lambda relation: (relation["head"], relation["tail"])))
    return len(rule_relations)


class NameFormLabels(NamedTuple):
    """The entity labels the name-form pipes read and write."""

    software_labels: List[str]
    long_label: str
    short_label: str


LABELS = {"software_labels": SOFTWARE_LABELS, "long_label": "AlternativeName", "short_label": "Abbreviation"}


class NameForms(Pipe):
    """Sets the short or long form of a software name in brackets after it as an entity
    (:func:`add_name_forms`), before the relation extractor."""

    def __init__(self, name: str, labels: NameFormLabels) -> None:
        self.name = name
        self.form_labels = labels

    def __call__(self, doc: Doc) -> Doc:
        add_name_forms(doc, *self.form_labels)
        return doc


class LongNames(Pipe):
    """Re-draws each software name followed by its acronym in brackets as the acronym's long
    form (:func:`lengthen_names`), before ``somd_name_forms``."""

    def __init__(self, name: str, software_labels: List[str]) -> None:
        self.name = name
        self.software_labels = software_labels

    def __call__(self, doc: Doc) -> Doc:
        lengthen_names(doc, self.software_labels)
        return doc


class NameFormRelations(Pipe):
    """Relates each software name to its other form in brackets (:func:`relate_name_forms`),
    after the relation extractor."""

    def __init__(self, name: str, labels: NameFormLabels, long_relation: str, short_relation: str) -> None:
        self.name = name
        self.form_labels = labels
        self.long_relation = long_relation
        self.short_relation = short_relation

    def __call__(self, doc: Doc) -> Doc:
        relate_name_forms(doc, self.form_labels, self.long_relation, self.short_relation)
        return doc


@Language.factory("somd_name_forms", default_config=LABELS, requires=["doc.ents"], assigns=["doc.ents"])
def make_name_forms(nlp: Language, name: str, software_labels: List[str], long_label: str, short_label: str) -> NameForms:
    return NameForms(name, NameFormLabels(software_labels, long_label, short_label))


@Language.factory("somd_long_names", default_config={"software_labels": SOFTWARE_LABELS}, requires=["doc.ents"], assigns=["doc.ents"])
def make_long_names(nlp: Language, name: str, software_labels: List[str]) -> LongNames:
    return LongNames(name, software_labels)


@Language.factory(
    "somd_name_form_relations",
    default_config={**LABELS, "long_relation": "AlternativeName_of", "short_relation": "Abbreviation_of"},
    requires=["doc.ents", f"doc._.{RELATIONS_ATTR}"],
    assigns=[f"doc._.{RELATIONS_ATTR}"],
)
def make_name_form_relations(
    nlp: Language, name: str, software_labels: List[str], long_label: str, short_label: str, long_relation: str, short_relation: str
) -> NameFormRelations:
    ensure_extensions()
    return NameFormRelations(name, NameFormLabels(software_labels, long_label, short_label), long_relation, short_relation)
