"""Builders shared by the tests: paths, the tiny SOMD corpus rows and their writers, the
train and ``python -m`` runners. The modules of this package hold the helpers that several
test modules of one area use. Fixtures live in the conftest.py files and build on these."""

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import spacy
from spacy.language import Language
from spacy.util import load_config

from spacy_somd.corpus.format import FILE_NAMES

ROOT = Path(__file__).resolve().parents[2]  # tests/builders/__init__.py -> the repository
CONFIGS = ROOT / "configs"
SHARED_CORPUS = ROOT.parent / "shared" / "somd2025"
MAX_STEPS = 6
EVAL_FREQUENCY = 3
DEV_FOLD = 2


def somd_blank() -> Language:
    """A blank English pipeline with the tokenizer of configs/default.cfg."""
    tokenizer = load_config(ROOT / "configs" / "default.cfg")["nlp"]["tokenizer"]
    return spacy.blank("en", config={"nlp": {"tokenizer": tokenizer}})


# The backbones are tiny, so keep the offline switches on for anything in-process too.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_SIZES = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

Field = Union[str, Sequence]
Row = Tuple[Field, Field, Field]


def _line(value: Field, joiner: str) -> str:
    """A row field as a file line: a string is written verbatim, a sequence is joined
    (relations given as ``(label, i, j)`` tuples become ``label<TAB>i<TAB>j``)."""
    if isinstance(value, str):
        return value
    items = ["\t".join(str(part) for part in item) if isinstance(item, (tuple, list)) else str(item) for item in value]
    return joiner.join(items)


def write_somd(folder: Union[str, Path], rows: Sequence[Row], relations: bool = True) -> Path:
    """Write the SOMD training files (texts, entities, relations) of ``rows`` into
    ``folder`` and return it. Each row is ``(tokens, labels, relations)``; each field is
    either a string, written as the line verbatim (for bad-input tests), or a sequence:
    tokens/labels are joined by single spaces, relations ``(label, i, j)`` are written as
    ``label<TAB>i<TAB>j`` joined by ``"; "``. Lines end with ``\\n``, the last one too.
    ``relations=False`` leaves the relations file out."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = {"texts": (0, " "), "entities": (1, " ")}
    if relations:
        columns["relations"] = (2, "; ")
    for key, (index, joiner) in columns.items():
        text = "".join(_line(row[index], joiner) + "\n" for row in rows)
        (folder / FILE_NAMES[key]).write_bytes(text.encode("utf-8"))
    return folder


# A template is a list of chunks: a plain string of O-tokens, or (text, type, key) for an
# entity whose tokens are the text's space-separated words. Relations name entities by key.
Chunk = Union[str, Tuple[str, str, str]]
TEMPLATES: List[Tuple[List[Chunk], List[Tuple[str, str, str]], List[dict]]] = [
    (
        ["We used", ("{app}", "Application", "app"), "version", ("{ver}", "Version", "ver"), "(", ("{dev}", "Developer", "dev"), ") for the analysis ."],
        [("Version_of", "ver", "app"), ("Developer_of", "dev", "app")],
        [
            dict(app="SPSS", ver="22", dev="IBM"),
            dict(app="Stata", ver="15.1", dev="StataCorp"),
            dict(app="SAS", ver="9.4", dev="SAS Institute"),
            dict(app="Mplus", ver="8", dev="Muthen & Muthen"),
        ],
    ),
    (
        [
            "Analyses were run in",
            ("{env}", "ProgrammingEnvironment", "env"),
            ("{ver}", "Version", "ver"),
            "with the",
            ("{plug}", "PlugIn", "plug"),
            "package",
            ("{cit}", "Citation", "cit"),
            ".",
        ],
        [("Version_of", "ver", "env"), ("PlugIn_of", "plug", "env"), ("Citation_of", "cit", "plug")],
        [
            dict(env="R", ver="4.1.2", plug="lme4", cit="[ 12 ]"),
            dict(env="R", ver="3.6.0", plug="ggplot2", cit="( Wickham , 2016 )"),
            dict(env="Python", ver="3.8", plug="scikit-learn", cit="[ 7 ]"),
            dict(env="MATLAB", ver="R2019b", plug="SPM12", cit="[ 31 ]"),
        ],
    ),
    (
        ["Images were processed with", ("{app}", "Application", "app"), "(", ("{url}", "URL", "url"), ") ."],
        [("URL_of", "url", "app")],
        [
            dict(app="ImageJ", url="https://imagej.nih.gov/ij/"),
            dict(app="Fiji", url="http://fiji.sc"),
            dict(app="CellProfiler", url="https://cellprofiler.org"),
        ],
    ),
    (
        ["Statistical tests used", ("{app}", "Application", "app"), ("{ver}", "Version", "ver"), "(", ("{dev}", "Developer", "dev"), ", San Diego , CA ) ."],
        [("Version_of", "ver", "app"), ("Developer_of", "dev", "app")],
        [
            dict(app="GraphPad Prism", ver="8", dev="GraphPad Software"),
            dict(app="Prism", ver="7.0", dev="GraphPad"),
            dict(app="Primer Express", ver="3.0", dev="Applied Biosystems"),
        ],
    ),
    (
        [
            "Alignments were computed with",
            ("{app}", "Application", "app"),
            ("{cit}", "Citation", "cit"),
            "and plotted in",
            ("{env}", "ProgrammingEnvironment", "env"),
            ".",
        ],
        [("Citation_of", "cit", "app")],
        [
            dict(app="BLAST", cit="[ 3 ]", env="R"),
            dict(app="MUSCLE", cit="( Edgar , 2004 )", env="Python"),
            dict(app="Clustal Omega", cit="[ 19 ]", env="MATLAB"),
        ],
    ),
]
ENTITY_FREE = ["All participants gave written informed consent .", "The samples were stored at -80 degrees until use .", "Results are shown in Table 2 ."]


def render(chunks: Sequence[Chunk], relations: Sequence[Tuple[str, str, str]], fill: dict) -> Row:
    """A template filled in: (tokens, BIO labels, (label, head, tail) relations)."""
    words: List[str] = []
    labels: List[str] = []
    starts = {}
    for chunk in chunks:
        if isinstance(chunk, str):
            new = chunk.split(" ")
            words += new
            labels += ["O"] * len(new)
        else:
            text, type_, key = chunk
            new = text.format(**fill).split(" ")
            starts[key] = len(words)
            words += new
            labels += [f"B-{type_}"] + [f"I-{type_}"] * (len(new) - 1)
    rels = [(label, starts[head], starts[tail]) for label, head, tail in relations]
    return words, labels, rels


def tiny_rows() -> List[Row]:
    """17 entity-bearing sentences (templates round-robin) with the 3 entity-free
    sentences spread among them: 20 sentences in all."""
    filled = []
    for position in range(max(len(fills) for _, _, fills in TEMPLATES)):
        for chunks, relations, fills in TEMPLATES:
            if position < len(fills):
                filled.append(render(chunks, relations, fills[position]))
    rows: List[Row] = list(filled)
    for offset, sentence in zip((2, 9, 14), ENTITY_FREE):
        words = sentence.split(" ")
        rows.insert(offset, (words, ["O"] * len(words), []))
    return rows


def corpus_text(folder: Path) -> List[str]:
    return (Path(folder) / FILE_NAMES["texts"]).read_text(encoding="utf-8").splitlines()


ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def run(args: List[str], timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m ARGS`` offline; fail with the output's tail on a non-zero exit."""
    result = subprocess.run([sys.executable, "-m", *args], env=ENV, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"`python -m {' '.join(args)}` exited {result.returncode}\n--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )
    return result


def spacy_train(config: str, output: Path, corpus: Path, *overrides: str, gpu_id: int = -1) -> Path:
    """Train CONFIG for MAX_STEPS steps with the project's train command (fold DEV_FOLD
    held out, the config's other [somd] settings, on the CPU or GPU ``gpu_id``); return the
    model-last folder."""
    run(
        [
            "spacy_somd",
            "train",
            str(CONFIGS / config),
            str(output),
            "--gpu-id",
            str(gpu_id),
            "--paths.corpus",
            str(corpus),
            "--somd.fold",
            str(DEV_FOLD),
            "--training.max_steps",
            str(MAX_STEPS),
            "--training.eval_frequency",
            str(EVAL_FREQUENCY),
            *overrides,
        ]
    )
    model = output / "model-last"
    assert (model / "config.cfg").is_file()
    return model
