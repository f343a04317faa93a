"""The package's layout holds: imports only point down the lifetimes, the package root
holds few modules, and the command modules stay thin."""

import ast
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "spacy_somd"

# the lifetimes from the bottom up: a module may import from its own lifetime or a lower one
LIFETIMES = {
    "about": 0,
    "labels": 0,
    "io": 0,
    "memory": 0,
    "corpus": 1,
    "documents": 1,
    "transformer": 2,
    "pipeline": 3,
    "training": 4,
    "evaluation": 5,
    "annotate": 5,
    "release": 5,
    "cli": 6,
    "__main__": 7,
}
ROOT_MODULES = {"__init__", "__main__", "about"}


def modules() -> Iterator[Tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(parts), path


def lifetime(module: str) -> str:
    return module.split(".")[0]


def imported(path: Path) -> Iterator[str]:
    """The spacy_somd modules a file imports (at any depth of the file: lazy imports count)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("spacy_somd."):
            yield node.module.removeprefix("spacy_somd.")
        elif isinstance(node, ast.Import):
            yield from (a.name.removeprefix("spacy_somd.") for a in node.names if a.name.startswith("spacy_somd."))


def test_every_module_belongs_to_a_lifetime():
    unknown = {module for module, _ in modules() if lifetime(module) not in LIFETIMES | {"__init__": 0}}
    assert not unknown, f"modules outside the known lifetimes: {sorted(unknown)}"


def test_imports_point_down_the_lifetimes():
    upward: Dict[str, str] = {}
    for module, path in modules():
        if module == "__init__":
            continue  # the public API re-exports lazily
        for target in imported(path):
            if LIFETIMES[lifetime(target)] > LIFETIMES[lifetime(module)]:
                upward[module] = target
    assert not upward, f"imports up the lifetimes (module -> what it imports): {upward}"


def test_the_document_readers_import_no_spacy():
    """The document readers stand beside the corpus and need neither spaCy nor torch."""
    for module, path in modules():
        if lifetime(module) == "documents":
            names = {a.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.ImportFrom) and n.module}
            assert not {name.split(".")[0] for name in names} & {"spacy", "thinc", "torch"}, module
            assert all(lifetime(t) in ("documents", "about", "labels", "io", "memory") for t in imported(path)), module


@pytest.mark.parametrize("runtime", ["pipeline", "transformer", "corpus"])
def test_what_spacy_load_runs_imports_no_training_evaluation_annotate_or_cli(runtime):
    for module, path in modules():
        if lifetime(module) == runtime:
            wrong = [t for t in imported(path) if lifetime(t) in ("training", "evaluation", "annotate", "release", "cli")]
            assert not wrong, f"{module} imports {wrong}"


def test_the_root_holds_few_modules():
    root = {path.stem for path in PACKAGE.glob("*.py")}
    assert ROOT_MODULES <= root
    assert len(root - ROOT_MODULES - {"__init__"}) <= 5, sorted(root)


def test_command_modules_are_thin():
    for path in (PACKAGE / "cli").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 200, path.name


def test_a_broken_layout_is_caught(tmp_path):
    """The import walk sees a lazy import inside a function, as a real upward one would be."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from spacy_somd.cli._util import app\n    return app\n", encoding="utf-8")
    assert list(imported(source)) == ["cli._util"]
