"""What the commands share: the Typer app, one-line failures, reading a scores file, the
GPU and loading a trained pipeline (as ``spacy/cli/_util.py`` does for spaCy's commands)."""

import importlib.util
import json
from pathlib import Path
from typing import Any, Dict, NoReturn

import spacy
import typer
from spacy.language import Language

from spacy_somd.about import __version__
from spacy_somd.transformer.quantization import load_config

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)

INT8_HELP = "CPU: the backbone's linear layers int8 (dynamic quantization, one scale per row): about twice the words/s, token F within about 0.01 (a vote's members too)"
GPU_HELP = "GPU to run on (-1: CPU)"


def fail(message: str) -> NoReturn:
    """Print an error on stderr, unwrapped so that paths stay whole, and exit with 1."""
    typer.echo(f"✘ {message}", err=True)
    raise typer.Exit(1)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"spacy-somd {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=show_version, is_eager=True, help="Print the version and exit")) -> None:
    """spacy-somd: software mentions, their attributes and relations in scholarly text,
    with spaCy."""


def require_plots() -> None:
    """Fail with one line when matplotlib (the ``plots`` extra) is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        fail("this command draws with matplotlib, which is not installed: pip install 'spacy-somd[plots]'")


def read_json(path: Path) -> Dict[str, Any]:
    """A JSON object from a file; a missing file or invalid JSON exits with one line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: file not found")
    except json.JSONDecodeError as err:
        fail(f"{path}, line {err.lineno}: not valid JSON ({err.msg} at column {err.colno})")
    except (OSError, UnicodeDecodeError) as err:
        fail(f"{path}: cannot read it ({err})")
    if not isinstance(data, dict):
        fail(f"{path}: not a JSON object of scores")
    return data


def use_gpu(gpu_id: int) -> None:
    """Run on GPU ``gpu_id`` (-1: CPU); a GPU that cannot be used is one line."""
    if gpu_id < 0:
        return
    try:
        spacy.require_gpu(gpu_id)
    except ValueError as err:
        fail(f"--gpu-id {gpu_id}: no GPU available: {err} (a CUDA GPU and CuPy are needed: pip install 'spacy-somd[cuda12x]', or run with --gpu-id -1)")


def check_int8(int8: bool, on_gpu: bool) -> None:
    """Exit with one line where ``--int8`` comes with a GPU."""
    if int8 and on_gpu:
        fail("--int8 is for the CPU (PyTorch's dynamic int8 quantization): leave it out with a GPU")


def load_pipeline(model: str, gpu_id: int, int8: bool = False) -> Language:
    """A trained pipeline, on GPU ``gpu_id`` when it is not -1, with its backbone int8
    with ``int8``; a missing or damaged model or an unusable GPU exits with one line."""
    check_int8(int8, gpu_id >= 0)
    use_gpu(gpu_id)
    try:
        return spacy.load(model, config=load_config(int8))
    except (OSError, ValueError) as err:
        fail(f"cannot load the pipeline {model!r}: {' '.join(str(err).split())}")
