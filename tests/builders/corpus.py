"""Corpus builders: hand-made sentences with their checks, and the three-sentence SOMD
files (texts, entities, relations lines) with a writer for edited copies."""

from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from spacy_somd.corpus.format import Sentence, bio_to_spans, parse_labels, parse_relations


def somd_sentence(text: str, labels: str, relations: Sequence[Tuple[str, int, int]] = ()) -> Sentence:
    return Sentence(1, text.split(" "), labels.split(" "), list(relations))


def sentence_entities(s: Sentence) -> List[Tuple[str, str]]:
    return [(" ".join(s.words[a:b]), t) for a, b, t in bio_to_spans(s.labels)]


def relation_texts(s: Sentence) -> List[Tuple[str, str, str]]:
    """Relations as (label, head entity text, tail entity text)."""
    spans = {a: " ".join(s.words[a:b]) for a, b, _ in bio_to_spans(s.labels)}
    return [(label, spans[head], spans[tail]) for label, head, tail in s.relations]


def check_valid(s: Sentence) -> None:
    """What `convert` checks: BIO labels valid, relations at entity starts."""
    assert parse_labels("variant", s.line, s.labels, None) == s.labels
    line = "; ".join(f"{label}\t{head}\t{tail}" for label, head, tail in s.relations)
    assert parse_relations("variant", s.line, line, s.labels, None) == s.relations


VERSIONS = somd_sentence(
    "R 4.0.3 with lme4 [3-5] , see http://fiji.sc .",
    "B-ProgrammingEnvironment B-Version O B-PlugIn B-Citation O O B-URL O",
    [("Version_of", 1, 0), ("PlugIn_of", 3, 0), ("Citation_of", 4, 3), ("URL_of", 7, 3)],
)

TEXTS = [
    "We used SPSS version 22 ( IBM ) .",
    "No software here .",
    "R 4.0.3 with lme4 [ 12 ] .",
    "Nothing here either .",
    "Data from http://x.org via ArcView GIS .",
]
ENTITIES = [
    "O O B-Application O B-Version O B-Developer O O",
    "O O O O",
    "B-ProgrammingEnvironment B-Version O B-PlugIn B-Citation I-Citation I-Citation O",
    "O O O O",
    "O O B-URL O B-Application I-Application O",
]
RELATIONS = ["Version_of\t4\t2; Developer_of\t6\t2", "", "Version_of\t1\t0; PlugIn_of\t3\t0; Citation_of\t4\t3", "", "URL_of\t2\t4"]


def write_lines(folder: Path, texts=TEXTS, entities=ENTITIES, relations=RELATIONS, raw: Optional[dict] = None) -> Path:
    """Write the three training files (``raw`` overrides a file with exact bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (("texts", texts), ("entities", entities), ("relations", relations)):
        path = folder / f"train_{name}.txt"
        data = (raw or {}).get(name)
        path.write_bytes(data if data is not None else ("\n".join(lines) + "\n").encode("utf-8"))
    return folder


def replace(lines, index, value):
    return [value if i == index else line for i, line in enumerate(lines)]
