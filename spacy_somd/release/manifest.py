"""What a release publishes beside its wheels: the cross-validated scores of each config,
``SHA256SUMS``, the release manifest and the compatibility table that ``download`` reads."""

import hashlib
import json
import statistics
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from packaging.requirements import Requirement
from spacy.about import __version__ as spacy_version

from spacy_somd.about import __version__

MANIFEST = "release.json"
CHECKSUMS = "SHA256SUMS"
COMPATIBILITY = "compatibility.json"
# the scores that the manifest and the model card summarise (all of them stay in the meta)
HEADLINE = {"token_f": "token F (seed metric)", "ents_f": "entity F", "rel_f": "relation F (end to end)", "somd_macro_f": "SOMD macro F"}


def mean_scores(folds: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The mean over folds of every score that each fold has as a number, and of every
    per-type P/R/F table, with ``cv_std``: the standard deviation over folds of each
    headline score."""
    if not folds:
        raise ValueError("no fold scores to average")
    mean: Dict[str, Any] = {}
    for key, value in folds[0].items():
        values = [fold.get(key) for fold in folds]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and all(isinstance(v, (int, float)) for v in values):
            mean[key] = statistics.fmean(values)  # type: ignore[arg-type]
        elif key.endswith("_per_type") and all(isinstance(v, dict) for v in values):
            mean[key] = mean_per_type(values)  # type: ignore[arg-type]
    mean["cv_std"] = {key: statistics.pstdev(fold[key] for fold in folds) for key in HEADLINE if all(isinstance(f.get(key), (int, float)) for f in folds)}
    return mean


def mean_per_type(tables: Sequence[Mapping[str, Mapping[str, float]]]) -> Dict[str, Dict[str, float]]:
    """The mean P/R/F of each type over the tables; a type a fold lacks counts as absent
    there (the mean is over the folds that have it)."""
    types = [t for t in tables[0]] + sorted({t for table in tables[1:] for t in table} - set(tables[0]))
    return {
        name: {metric: statistics.fmean(table[name][metric] for table in tables if name in table) for metric in tables[0].get(name, {"p": 0, "r": 0, "f": 0})}
        for name in types
    }


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(files: Iterable[Path]) -> str:
    """``SHA256SUMS`` lines (``sha256sum`` format: digest, two spaces, file name), sorted by name."""
    return "".join(f"{sha256(path)}  {path.name}\n" for path in sorted(files, key=lambda p: p.name))


def read_checksums(text: str) -> Dict[str, str]:
    """File name to digest from ``SHA256SUMS`` text."""
    return {name.lstrip("*"): digest for digest, name in (line.split(None, 1) for line in text.splitlines() if line.strip())}


def pipeline_entry(wheel: Path, meta: Mapping[str, Any], base_url: str) -> Dict[str, Any]:
    """The manifest's entry of one packaged pipeline: its name, version, the spacy-somd and
    spaCy versions it works with, its headline scores, what they were measured on, the
    wheel's size and SHA-256 and where it is downloaded from."""
    requirements = meta.get("requirements", [])
    plugin = next((str(r.specifier) for r in map(Requirement, requirements) if r.name == "spacy-somd"), "")
    performance = meta.get("performance", {})
    return {
        "name": f"{meta['lang']}_{meta['name']}",
        "version": meta["version"],
        "spacy_somd_version": plugin,
        "spacy_version": meta.get("spacy_version", ""),
        "requirements": list(requirements),
        "scores": {key: performance[key] for key in HEADLINE if isinstance(performance.get(key), (int, float))},
        "scored_on": meta.get("scored_on", ""),
        "wheel": wheel.name,
        "url": f"{base_url.rstrip('/')}/{wheel.name}" if base_url else wheel.name,
        "sha256": sha256(wheel),
        "size": wheel.stat().st_size,
    }


def wheel_meta(wheel: Path) -> Dict[str, Any]:
    """The pipeline's meta.json inside a packaged pipeline wheel."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next((n for n in archive.namelist() if n.count("/") == 2 and n.endswith("/meta.json")), None)
        if name is None:
            raise ValueError(f"{wheel}: not a packaged spaCy pipeline (no PACKAGE/PACKAGE-VERSION/meta.json inside)")
        return json.loads(archive.read(name))


def release_manifest(wheels: Sequence[Path], base_url: str = "", version: str = __version__) -> Dict[str, Any]:
    """The release manifest: the release's version, the spacy-somd and spaCy it was built
    with, and an entry per pipeline wheel (:func:`pipeline_entry`)."""
    return {
        "release": version,
        "built_with": {"spacy-somd": __version__, "spacy": spacy_version},
        "pipelines": [pipeline_entry(wheel, wheel_meta(wheel), base_url) for wheel in sorted(wheels, key=lambda w: w.name)],
    }


def compatibility_table(manifest: Mapping[str, Any], previous: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The table ``download`` reads: every pipeline of the earlier releases' table and of
    this manifest, one entry per name and version (this release's win)."""
    entries = {(p["name"], p["version"]): p for p in (previous or {}).get("pipelines", [])}
    entries.update({(p["name"], p["version"]): p for p in manifest["pipelines"]})
    return {"format": 1, "pipelines": [entries[key] for key in sorted(entries)]}


def write_release_files(
    out_dir: Path, pipelines: Sequence[Path], others: Sequence[Path] = (), base_url: str = "", previous: Optional[Mapping[str, Any]] = None
) -> List[Path]:
    """Write ``SHA256SUMS`` (of the pipeline wheels and the ``others``: the spacy-somd
    wheel), ``release.json`` (of the pipelines) and ``compatibility.json`` into
    ``out_dir``; return the three paths."""
    manifest = release_manifest(pipelines, base_url)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / CHECKSUMS, out_dir / MANIFEST, out_dir / COMPATIBILITY]
    written[0].write_text(checksums([*pipelines, *others]), encoding="utf-8")
    written[1].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    written[2].write_text(json.dumps(compatibility_table(manifest, previous), indent=2) + "\n", encoding="utf-8")
    return written
