"""Re-tokenized variants of labelled sentences, carrying BIO labels and relations along.

An :class:`Edit` replaces a run of tokens by new words; :func:`apply_edits` rebuilds the
sentence: the new words take the label of the run's first token (``B-X`` then ``I-X``, or
``O``), and relation indices move to the new position of the token they pointed at. A run
may never hide an entity start in its body, so relations, which point at entity starts,
always survive.

:func:`tokenization_variant` writes a sentence in the other tokenization style of SOMD-like
data: what this corpus keeps whole is split at its punctuation (versions "2.2.1" -> "2 . 2
. 1", citations "[5,8]" -> "[ 5 , 8 ]", URLs "http://fiji.sc" -> "http : / / fiji . sc",
"al." -> "al ."), and what it splits is joined ("et al ." -> "et al.", "Inc ." -> "Inc.",
"[ 62 , 63 ]" -> "[62,63]").
"""

import re
from typing import List, NamedTuple, Sequence

from spacy_somd.corpus.conventions import ABBREVIATIONS, CITATION, URL, VERSION, split_citation_end
from spacy_somd.corpus.format import Sentence

PIECES = re.compile(r"\w+|[^\w\s]")


class Edit(NamedTuple):
    """Replace ``words[start:end]`` by ``new``."""

    start: int
    end: int
    new: List[str]


def hides_entity_start(labels: Sequence[str], start: int, end: int) -> bool:
    """Whether a run's body (all but its first token) holds an entity start, or the run
    begins outside an entity and grows into one."""
    body = labels[start + 1 : end]
    return any(label.startswith("B-") for label in body) or (labels[start] == "O" and any(label != "O" for label in body))


def apply_edits(sentence: Sentence, edits: Sequence[Edit]) -> Sentence:
    """The sentence with non-overlapping ``edits`` applied; labels and relations remapped."""
    labels = sentence.labels or ["O"] * len(sentence.words)
    words: List[str] = []
    new_labels: List[str] = []
    new_index = {}
    position = 0
    for edit in sorted(edits) + [Edit(len(sentence.words), len(sentence.words), [])]:
        if edit.start < position or not edit.start <= edit.end <= len(sentence.words):
            raise ValueError(f"line {sentence.line}: overlapping or out-of-range edit {edit}")
        for old in range(position, edit.start):
            new_index[old] = len(words)
            words.append(sentence.words[old])
            new_labels.append(labels[old])
        if edit.start == edit.end:
            break
        if not edit.new or hides_entity_start(labels, edit.start, edit.end):
            raise ValueError(f"line {sentence.line}: edit {edit} would lose an entity start")
        first = labels[edit.start]
        inside = "O" if first == "O" else f"I-{first[2:]}"
        new_index[edit.start] = len(words)
        words += edit.new
        new_labels += [first] + [inside] * (len(edit.new) - 1)
        position = edit.end
    relations = [(label, new_index[head], new_index[tail]) for label, head, tail in sentence.relations]
    return Sentence(sentence.line, words, new_labels if sentence.labels is not None else None, relations)


def split_edits(words: Sequence[str]) -> List[Edit]:
    """Versions, citations, URLs and "al." split at their punctuation."""
    edits = []
    for i, word in enumerate(words):
        if VERSION.fullmatch(word) or CITATION.fullmatch(word) or URL.fullmatch(word):
            pieces = PIECES.findall(word)
        elif word[:-1] in ABBREVIATIONS and word.endswith("."):
            pieces = [word[:-1], "."]
        else:
            continue
        if len(pieces) > 1:
            edits.append(Edit(i, i + 1, pieces))
    return edits


def join_edits(words: Sequence[str], labels: Sequence[str]) -> List[Edit]:
    """Split citations and "Inc ." joined into one token, where no entity starts inside."""
    edits = []
    i = 0
    while i < len(words):
        if words[i] == "[":
            end = split_citation_end(words, i)
        else:
            end = i + 2 if words[i] in ABBREVIATIONS and words[i + 1 : i + 2] == ["."] else 0
        if end and not hides_entity_start(labels, i, end):
            edits.append(Edit(i, end, ["".join(words[i:end])]))
            i = end
        else:
            i += 1
    return edits


def tokenization_variant(sentence: Sentence) -> Sentence:
    """The sentence in the other tokenization style (see the module's docstring)."""
    labels = sentence.labels or ["O"] * len(sentence.words)
    joins = join_edits(sentence.words, labels)
    joined = {k for edit in joins for k in range(edit.start, edit.end)}
    splits = [edit for edit in split_edits(sentence.words) if edit.start not in joined]
    return apply_edits(sentence, joins + splits)
