"""Release builders: pipeline wheels and release folders of tiny pipelines, and fresh
virtualenvs that hold installed wheels with only what they require (linked from this
environment, so nothing is downloaded)."""

import importlib.metadata
import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

import spacy
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from spacy_somd.release.packaging import build_wheel, package_pipeline
from tests.builders import ENV, ROOT

# the environment of a fresh virtualenv's processes: no PYTHONPATH into a source checkout
OWN_ENV = {key: value for key, value in ENV.items() if key != "PYTHONPATH"}

# the scores and the speed measurement a tiny pipeline's card is written from
TINY_SCORES = {
    **{f"token_{k}": v for k, v in zip("prf", (0.5, 0.8333, 0.625))},
    **{f"ents_{k}": 0.5 for k in "prf"},
    **{f"rel_{k}": 0.25 for k in "prf"},
    "somd_macro_f": 0.3125,
    "somd_micro_f": 0.375,
    "cv_std": {"token_f": 0.05},
}
TINY_BENCHMARK = {
    "words": 1234,
    "texts": "3 lines of texts.txt",
    "seconds": 0.5,
    "words_per_second": 2468.0,
    "peak_rss_mb": 321.0,
    "machine": "a test machine with 2 CPU cores",
    "spacy": spacy.__version__,
    "date": "2026-12-08",
}


def tiny_pipeline_wheel(
    nlp_path: Path, out: Path, name: str, version: str = "0.0.1", scores: Optional[Mapping[str, Any]] = None, benchmark: Optional[Mapping[str, Any]] = None
) -> Path:
    """The pipeline folder ``nlp_path`` packaged as ``en_NAME-VERSION`` with a model card
    from ``scores`` and ``benchmark``; the wheel's path."""
    held_out = "four-fold cross-validation of a test config"
    return package_pipeline(
        spacy.load(nlp_path), nlp_path, out, dict(scores or TINY_SCORES), None, held_out, name, version, benchmark=benchmark or TINY_BENCHMARK
    )


def plugin_wheel(out: Path) -> Path:
    """The spacy-somd wheel of this repository, built into ``out``."""
    build_wheel(ROOT, out)
    (wheel,) = out.glob("spacy_somd-*.whl")
    return wheel


def wheel_metadata_json(wheel: Path) -> Dict[str, Any]:
    """The pipeline's meta.json inside its wheel."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.count("/") == 2 and n.endswith("/meta.json")]
        return json.loads(archive.read(name))


def wheel_requirements(wheel: Path) -> List[Requirement]:
    """The Requires-Dist lines of a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode("utf-8").splitlines()
    return [Requirement(line.split(":", 1)[1]) for line in lines if line.startswith("Requires-Dist:")]


def applies(requirement: Requirement) -> bool:
    """Whether a requirement holds here without any extra."""
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


def installed_closure(requirements: Iterable[Requirement], provided: Iterable[str]) -> Dict[str, importlib.metadata.Distribution]:
    """The installed distributions that ``requirements`` need, transitively (no extras
    unless asked for), leaving out the ``provided`` names (the wheels themselves)."""
    found: Dict[str, importlib.metadata.Distribution] = {}
    todo = [r for r in requirements if applies(r)]
    skip = {canonicalize_name(name) for name in provided}
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in skip or name in found:
            continue
        dist = importlib.metadata.distribution(requirement.name)
        found[name] = dist
        for line in dist.requires or []:
            nested = Requirement(line)
            if nested.marker is None or any(nested.marker.evaluate({"extra": e}) for e in ["", *requirement.extras]):
                todo.append(nested)
    return found


def borrow(dists: Iterable[importlib.metadata.Distribution], folder: Path) -> None:
    """Make ``folder`` hold the given installed distributions, as links to their top-level
    modules and metadata (no copies, no download)."""
    folder.mkdir()
    for dist in dists:
        site = Path(dist.locate_file(""))
        for top in {f.parts[0] for f in dist.files or []} - {"..", "__pycache__"}:
            if (site / top).exists() and not (folder / top).exists():
                (folder / top).symlink_to(site / top)


def fresh_venv(folder: Path, wheels: List[Path]) -> Path:
    """A virtualenv with the wheels installed and, linked in through a .pth file, only the
    installed distributions that the wheels require (this environment's, so no download).
    pip runs without PYTHONPATH, which would show it a source checkout as installed."""
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", *map(str, wheels)]
    subprocess.run(install, env=OWN_ENV, check=True, capture_output=True, timeout=300)
    names = [w.name.split("-")[0] for w in wheels]
    needed = installed_closure((r for w in wheels for r in wheel_requirements(w)), names)
    site_packages = next((folder / "lib").glob("python*/site-packages"))
    borrow(needed.values(), folder / "borrowed")
    (site_packages / "borrowed.pth").write_text(f"{folder / 'borrowed'}\n")
    return python
