"""The command line behind ``spacy-somd`` and ``python -m spacy_somd``: one module per
command group, each command a thin Typer wrapper around an importable function."""

from spacy_somd.cli import apply, corpus, dynamics, evaluate, package, release, train  # noqa: F401  (they register the commands)
from spacy_somd.cli._util import app


def main() -> None:
    """The ``spacy-somd`` console script."""
    app(prog_name="spacy-somd")


__all__ = ["app", "main"]
