"""Small Softcite contexts files, built by the tests (the real file is never committed)."""

import gzip
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from spacy_somd.corpus.softcite import article_split


def article_ids(split: str, count: int, prefix: str = "PMC") -> List[str]:
    """``count`` article ids that fall in ``split``."""
    found, number = [], 0
    while len(found) < count:
        number += 1
        if article_split(f"{prefix}{number}") == split:
            found.append(f"{prefix}{number}")
    return found


def span(text: str, part: str, kind: str, ident: str = "T", **flags: bool) -> Dict:
    """The span of the first occurrence of ``part`` in ``text``."""
    start = text.index(part)
    item = {"id": ident, "start": start, "end": start + len(part), "type": kind, "rawForm": part}
    if kind == "software":
        item.update({"used": flags.get("used", True), "contribution": flags.get("contribution", False), "shared": flags.get("shared", False)})
    return item


def sentence(text: str, *spans: Dict) -> Dict:
    return {"text": text, "entity_spans": list(spans)} if spans else {"text": text}


def write_contexts(path: Path, documents: Sequence[Dict], compress: Optional[bool] = None) -> Path:
    """A contexts file holding ``documents`` ({"pmcid", "texts"}); gzip for a ``.gz`` name."""
    data = json.dumps({"documents": list(documents)}).encode("utf-8")
    path.write_bytes(gzip.compress(data) if (path.suffix == ".gz" if compress is None else compress) else data)
    return path


SPSS = "Analyses were done with SPSS version 22 (IBM, Armonk)."
PLAIN = "Mice were kept at 22 degrees in a twelve hour cycle."
GENE = "MTOR and AMPK (Qiagen) were measured as in Engwerda 2007, Fig 2."


def small_contexts(path: Path) -> Path:
    """Two articles of each split: one sentence mentioning software, ordinary ones."""
    documents = []
    for split in ("train", "dev", "test"):
        for n, pmcid in enumerate(article_ids(split, 2)):
            texts = [
                sentence(SPSS, span(SPSS, "SPSS", "software"), span(SPSS, "22", "version"), span(SPSS, "IBM", "publisher")),
                sentence(f"{split} article {n}: {PLAIN}"),
                sentence(f"{split} article {n}: {GENE}"),
            ]
            documents.append({"pmcid": pmcid, "texts": texts})
    return write_contexts(path, documents)
