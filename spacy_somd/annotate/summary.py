"""What an ``annotate`` run counts: records read, annotated and rejected, sentences, words,
entities and relations per type, and the software found (name, type, mentions, versions
seen and, where the pipeline says what the article did with its software, the mentions
flagged ``created`` and ``shared``). Each partition keeps its counts beside its output, so
that a resumed run's summary is the whole output's."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Set, Tuple

from spacy_somd.annotate.annotator import Annotated
from spacy_somd.annotate.documents import read_counts
from spacy_somd.labels import SOFTWARE_TYPES

VERSION_OF = "Version_of"
SOFTWARE_HEADER = ("name", "type", "mentions", "versions")
# the usage flags whose mentions the software table counts (where the pipeline flags them)
TABLE_FLAGS = ("created", "shared")


def mention_name(text: str) -> str:
    """An entity's text with its white space runs made single spaces."""
    return " ".join(text.split())


@dataclass
class RunCounts:
    read: int = 0
    annotated: int = 0
    rejected: int = 0
    split: int = 0
    sentences: int = 0
    words: int = 0
    entities: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)
    software: Dict[Tuple[str, str], Tuple[int, Set[str]]] = field(default_factory=dict)
    # what the passes over the whole output add to the summary (documents, paragraphs...)
    extra: Dict[str, Any] = field(default_factory=dict)
    # per software with usage flags: its mentions flagged with each flag
    flagged: Dict[Tuple[str, str], Counter] = field(default_factory=dict)

    def add(self, item: Annotated) -> None:
        """Count an output record."""
        record = item.record
        self.read += 1
        self.annotated += 1
        self.split += item.pieces > 1
        self.sentences += len(record["sentences"])
        self.words += item.words
        entities = record["entities"]
        self.entities.update(e["label"] for e in entities)
        self.relations.update(r["type"] for r in record["relations"])
        versions: Dict[int, Set[str]] = {}
        for rel in record["relations"]:
            if rel["type"] == VERSION_OF:
                versions.setdefault(rel["software"], set()).add(mention_name(entities[rel["attribute"]]["text"]))
        for number, ent in enumerate(entities):
            if ent["label"] in SOFTWARE_TYPES:
                key = (mention_name(ent["text"]), ent["label"])
                self.add_software(key, 1, versions.get(number, set()))
                if "usage_flags" in ent:
                    self.flagged.setdefault(key, Counter()).update(ent["usage_flags"])

    def add_software(self, key: Tuple[str, str], mentions: int, versions: Iterable[str]) -> None:
        seen, seen_versions = self.software.get(key, (0, set()))
        self.software[key] = (seen + mentions, seen_versions | set(versions))

    def merge(self, other: "RunCounts") -> None:
        """Add another's counts (another partition's) to these."""
        for name in ("read", "annotated", "rejected", "split", "sentences", "words"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.entities.update(other.entities)
        self.relations.update(other.relations)
        for key, (mentions, versions) in other.software.items():
            self.add_software(key, mentions, versions)
        for key, flags in other.flagged.items():
            self.flagged.setdefault(key, Counter()).update(flags)

    def to_dict(self) -> Dict[str, Any]:
        software = [[name, type_, n, sorted(versions)] for (name, type_), (n, versions) in sorted(self.software.items())]
        return {
            "read": self.read,
            "annotated": self.annotated,
            "rejected": self.rejected,
            "split": self.split,
            "sentences": self.sentences,
            "words": self.words,
            "entities": dict(sorted(self.entities.items())),
            "relations": dict(sorted(self.relations.items())),
            "software": software,
            "software_flags": [[name, type_, dict(sorted(flags.items()))] for (name, type_), flags in sorted(self.flagged.items())],
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "RunCounts":
        software = {(name, type_): (n, set(versions)) for name, type_, n, versions in data["software"]}
        scalars = {k: data[k] for k in ("read", "annotated", "rejected", "split", "sentences", "words")}
        flagged = {(name, type_): Counter(flags) for name, type_, flags in data.get("software_flags", [])}
        return cls(**scalars, entities=Counter(data["entities"]), relations=Counter(data["relations"]), software=software, flagged=flagged)


def software_rows(counts: RunCounts) -> List[Tuple[str, str, int, str]]:
    """The software table: most mentioned first, then by name; versions joined by ``; ``."""
    items = sorted(counts.software.items(), key=lambda item: (-item[1][0], item[0]))
    return [(name, type_, n, "; ".join(sorted(versions))) for (name, type_), (n, versions) in items]


def software_tsv(counts: RunCounts) -> str:
    """The software table as TSV with a header (tabs and line breaks in names made spaces).
    Where the pipeline flagged what the articles did with their software, two more
    columns: the mentions flagged ``created`` and ``shared``."""
    with_flags = bool(counts.flagged)
    rows: List[Tuple[Any, ...]] = [SOFTWARE_HEADER + (TABLE_FLAGS if with_flags else ())]
    for row in software_rows(counts):
        flags = counts.flagged.get((row[0], row[1]), Counter())
        rows.append((*row, *(flags[f] for f in TABLE_FLAGS)) if with_flags else row)
    return "".join("\t".join(mention_name(str(cell)) for cell in row) + "\n" for row in rows)


def summary_lines(total: RunCounts, run: RunCounts, seconds: float) -> List[str]:
    """The summary: the whole output's counts, then this run's speed."""
    per_second = max(seconds, 1e-9)
    documents = [
        f"{name}: read {c['read']} = annotated {c['annotated']} + rejected {c['rejected']}"
        for name, c in ((name, total.extra.get(name)) for name in ("documents", "paragraphs"))
        if c
    ]
    changed = total.extra.get("consistency")
    if changed:
        documents.append(f"consistency: {changed['propagated']} software mentions propagated, {changed['dropped']} dropped")
    return documents + [
        f"read {total.read} records = annotated {total.annotated} + rejected {total.rejected} "
        f"({total.split} annotated in pieces: over the pipeline's max_length)",
        f"{total.sentences} sentences, {total.words} words, {sum(total.entities.values())} entities, "
        f"{sum(total.relations.values())} relations, {len(total.software)} distinct software names",
        f"this run: {run.annotated} records in {seconds:.1f} s: {run.annotated / per_second:.2f} records/s, "
        f"{run.sentences / per_second:.1f} sentences/s, {run.words / per_second:.0f} words/s",
    ]


def document_summary(output: Path, total: RunCounts, found: Dict[str, Any], consistency: bool = False) -> Dict[str, Any]:
    """The summary's fields of a document input: documents and paragraphs read, annotated
    and rejected (a document is annotated where one of its paragraphs is), and, with
    ``consistency``, what document-level consistency changed."""
    counts = read_counts(output)
    documents = {"read": counts.documents, "annotated": found["documents_annotated"], "rejected": counts.documents - found["documents_annotated"]}
    paragraphs = {"read": total.read - counts.document_rejects, "annotated": total.annotated, "rejected": total.rejected - counts.document_rejects}
    summary: Dict[str, Any] = {"documents": documents, "paragraphs": paragraphs, "identities": found["identities"]}
    if consistency:
        summary["consistency"] = {"propagated": found["propagated"], "dropped": found["dropped"]}
    return summary
