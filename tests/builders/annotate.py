"""What the annotate tests feed the pipeline: entity-ruler patterns, raw texts and JSONL
records; a component that records the batches the pipeline is given."""

import json
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

# entities the ruler always finds, so that offsets and relations are tested on real ones
ANNOTATE_PATTERNS = (
    [{"label": "Application", "pattern": name} for name in ("SPSS", "Stata", "ImageJ", "GraphPad Prism")]
    + [{"label": "Version", "pattern": version} for version in ("22", "15.1", "8")]
    + [{"label": "Developer", "pattern": developer} for developer in ("IBM", "StataCorp", "Müller & Söhne")]
)
ANNOTATE_TEXTS = [
    "We used SPSS version 22 (IBM) for the analysis.  Statistics used Stata 15.1 (StataCorp, College Station, TX).",
    "Images were processed with ImageJ\t(https://imagej.nih.gov/ij/).\nAll participants gave consent.",
    "Ünïcode first: GraphPad Prism 8 (Müller & Söhne)\n\n was used. \t Results are shown in Table 2.",
    "Data were stored at -80 degrees.",
    "  Leading white space, then SPSS 22 and\r\nStata  15.1 on one line.  ",
    "The samples (n = 12) were analysed with SPSS.",
]


def write_jsonl(path: Path, rows: List[Any]) -> Path:
    """``rows`` as JSONL lines (a string row is written verbatim)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def good_rows(n: int = len(ANNOTATE_TEXTS)) -> List[Dict[str, str]]:
    """``n`` good records ``doc0``, ``doc1``, ... of the ANNOTATE_TEXTS in turn."""
    return [{"id": f"doc{i}", "text": ANNOTATE_TEXTS[i % len(ANNOTATE_TEXTS)]} for i in range(n)]


class BatchRecorder:
    """A pipeline component that records the token counts of the docs of every batch it
    is given, as spaCy's components see their batches."""

    def __init__(self) -> None:
        self.batches: List[List[int]] = []

    def __call__(self, doc: Doc) -> Doc:
        self.batches.append([len(doc)])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            self.batches.append([len(doc) for doc in batch])
            yield from batch


@Language.factory("somd_test_batch_recorder")
def make_batch_recorder(nlp: Language, name: str) -> BatchRecorder:
    return BatchRecorder()


# what the document pipeline finds: software names (one of them a common word), versions
DOCUMENT_PATTERNS = (
    [{"label": "Application", "pattern": name} for name in ("SPSS", "ImageJ", "QGIS", "image")]
    + [{"label": "Application", "pattern": [{"TEXT": "Stata", "IS_SENT_START": True}]}]
    + [{"label": "Version", "pattern": [{"TEXT": {"REGEX": r"^\d+(\.\d+)*$"}}]}]
)


def damaged_model(rule_pipeline: Path, folder: Path, damage: str) -> Path:
    """A model path that fails to load: ``missing`` (nothing there) or ``config`` (a copy of
    ``rule_pipeline`` whose config.cfg does not parse)."""
    import shutil

    model = folder / "model"
    if damage == "config":
        shutil.copytree(rule_pipeline, model)
        (model / "config.cfg").write_text("[nlp]\nlang = \n[components\n", encoding="utf-8")
    return model
