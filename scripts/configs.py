"""Write configs/fast.cfg and configs/gpu.cfg from configs/default.cfg.

default.cfg is the one hand-written config; each derived config is default.cfg with a short
list of edits: a dotted key set to a value, a whole section set (replacing what is there)
or a key or section removed. After changing default.cfg or the edits, regenerate:
``python scripts/configs.py`` (or ``spacy project run configs``); a test checks that the
committed files are what this writes.

The output is default.cfg's own text (its layout, values as written and comments) with the
edits made in place: a comment belongs to the setting or section below it, and an edit's
note becomes the comment of what it writes, in place of default.cfg's comment there. New
sections go at the end of their parent's sections, new settings at the end of their section.
"""

import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from thinc.api import Config

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
BASE = "default.cfg"
REMOVE = object()  # an edit's value: the key or section is removed
REFERENCE = re.compile(r"\$\{[^}]+\}")


@dataclass(frozen=True)
class Edit:
    """``key`` (dotted) set to ``value``: a setting, a dict (a whole section) or REMOVE."""

    key: str
    value: Any
    note: str = ""


@dataclass(frozen=True)
class Derived:
    """A config written as default.cfg with ``edits``; ``about`` heads the file."""

    name: str
    about: str
    edits: Tuple[Edit, ...]


@dataclass
class Entry:
    """A ``key = value`` line and the comment and blank lines above it."""

    key: str
    line: str
    comments: List[str] = field(default_factory=list)


@dataclass
class Section:
    """A ``[name]`` header, the comment and blank lines above it, and its settings."""

    name: str
    comments: List[str] = field(default_factory=list)
    entries: List[Entry] = field(default_factory=list)


def listener(width: str) -> Dict[str, Any]:
    """A Tok2VecListener section for a component that listens to ``[components.tok2vec]``."""
    return {"@architectures": "spacy.Tok2VecListener.v1", "width": width, "upstream": "*"}


CNN_WIDTH = "${components.tok2vec.model.encode.width}"
# the note on eval_frequency of the configs that train by epochs
EPOCH_EVALUATIONS = "trained by epochs: an evaluation every this many steps; model-last is the result"
FAST = Derived(
    name="fast.cfg",
    about="spacy-somd fast: a CNN tok2vec (hashed NORM/PREFIX/SUFFIX/SHAPE embeddings) and no transformer, for quick CPU runs.",
    edits=(
        Edit("paths.backbone", REMOVE),
        Edit("somd.package_name", "somd_fast"),
        Edit("system.gpu_allocator", None),
        Edit(
            "nlp.pipeline",
            [
                "sentencizer",
                "tok2vec",
                "ner",
                "somd_split_urls",
                "somd_split_citations",
                "somd_long_names",
                "somd_name_forms",
                "somd_relation_extractor",
                "somd_name_form_relations",
                "somd_textcat",
            ],
        ),
        Edit("components.transformer", REMOVE),
        Edit(
            "components.tok2vec",
            {
                "factory": "tok2vec",
                "model": {
                    "@architectures": "spacy.Tok2Vec.v2",
                    "embed": {
                        "@architectures": "spacy.MultiHashEmbed.v2",
                        "width": 128,
                        "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                        "rows": [5000, 1000, 2500, 2500],
                        "include_static_vectors": False,
                    },
                    "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 128, "depth": 4, "window_size": 1, "maxout_pieces": 3},
                },
            },
            note="the CNN that NER and the relation extractor listen to, in place of the transformer",
        ),
        Edit("components.ner.model.use_upper", True),
        Edit("components.ner.model.tok2vec", listener(CNN_WIDTH)),
        Edit("components.somd_relation_extractor.learn_rate_scale", 1.0),
        Edit("components.somd_relation_extractor.model.tok2vec", listener(CNN_WIDTH)),
        Edit("components.somd_textcat.learn_rate_scale", 1.0),
        Edit(
            "components.somd_textcat.model",
            {"@architectures": "spacy_somd.BagOfWordsLogits.v1", "ngram_size": 1, "length": 262144, "nO": None},
            note="hashed unigram counts -> logits (no tok2vec): a fast bag-of-words baseline",
        ),
        Edit(
            "training.max_steps",
            2200,
            note="a fixed number of steps, as many as 30 epochs of the SOMD training folds alone took: the real-article sentences make an epoch about three times longer; model-last is the result",
        ),
        Edit("training.eval_frequency", 200),
        Edit(
            "training.batcher",
            {
                "@batchers": "spacy.batch_by_words.v1",
                "discard_oversize": False,
                "tolerance": 0.2,
                "get_length": None,
                "size": {"@schedules": "compounding.v1", "start": 100, "stop": 1000, "compound": 1.001, "t": 0.0},
            },
        ),
        Edit("training.optimizer.learn_rate", 0.001),
    ),
)
TRANSFORMER = "components.transformer.model"
GPU = Derived(
    name="gpu.cfg",
    about=(
        "spacy-somd GPU: the seed notebook's backbone and recipe, microsoft/deberta-v3-large from the model hub (lr 2.5e-5,"
        " 10% warm-up then linear decay, weight decay 0.01, mixed precision, 16 sentences per step, 30 epochs, windows of"
        " up to 512 word pieces). Train with `--gpu-id 0` after `pip install spacy-somd[cuda12x]`."
    ),
    edits=(
        Edit("paths.backbone", "microsoft/deberta-v3-large"),
        Edit("somd.package_name", "somd_gpu"),
        Edit(f"{TRANSFORMER}.mixed_precision", True),
        Edit(f"{TRANSFORMER}.get_spans.window", 256, note="windows of spaCy tokens; a window over 512 word pieces is split into parts that fit"),
        Edit(f"{TRANSFORMER}.get_spans.stride", 192),
        Edit(
            f"{TRANSFORMER}.max_padded_pieces",
            8192,
            note="a GPU runs large batches best: groups of up to 8192 padded pieces (a step's 8 windows are one group)",
        ),
        Edit(f"{TRANSFORMER}.max_packed_pieces", 0, note="DeBERTa's embeddings take no packed (block-diagonal) attention mask"),
        Edit(
            f"{TRANSFORMER}.tokenizer_config.use_fast",
            False,
            note=(
                "the fast DeBERTa-v3 tokenizer misaligns word pieces in spacy-transformers 1.4 with spaCy 3.8; the slow"
                " sentencepiece tokenizer aligns correctly"
            ),
        ),
        Edit(f"{TRANSFORMER}.tokenizer_config.model_max_length", 512),
        Edit(f"{TRANSFORMER}.grad_scaler_config.init_scale", 32768.0, note="must be a float: torch's GradScaler takes init_scale as a float"),
        Edit("training.accumulate_gradient", 2),
        Edit("training.max_epochs", 30),
        Edit("training.max_steps", 0),
        Edit("training.eval_frequency", 100, note=EPOCH_EVALUATIONS),
        Edit("training.batcher", {"@batchers": "spacy.batch_by_sequence.v1", "size": 8, "get_length": None}),
        Edit("training.optimizer.learn_rate.warmup_steps", 150),
        Edit(
            "training.optimizer.learn_rate.total_steps",
            1500,
            note="the steps of the linear decay (roughly 30 epochs of 16 sentences a step), written out as in default.cfg",
        ),
        Edit("training.optimizer.learn_rate.initial_rate", 0.000025, note="the seed notebook's rate for DeBERTa-v3-large"),
    ),
)
DERIVED = (FAST, GPU)


def comment(text: str) -> List[str]:
    """``text`` as comment lines of at most 92 characters."""
    return ["# " + line for line in textwrap.wrap(text, 90)]


def header(derived: Derived) -> List[str]:
    generated = [
        f"# generated from {BASE} by scripts/configs.py: edit {BASE} or the edits in",
        "# scripts/configs.py, then regenerate with `spacy project run configs`",
        "# (or `python scripts/configs.py`)",
    ]
    return generated + ["#"] + comment(derived.about)


def parse(text: str, path: str) -> Tuple[List[str], List[Section]]:
    """The comment lines that head a config (up to its first blank line) and its sections."""
    lines = text.splitlines()
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    sections: List[Section] = []
    pending: List[str] = []
    for number, line in enumerate(lines[head:], head + 1):
        if not line.strip() or line.startswith("#"):
            pending.append(line)
        elif re.fullmatch(r"\[[^\]]+\]", line):
            sections.append(Section(line[1:-1], pending))
            pending = []
        elif "=" in line and not line[0].isspace() and sections:
            sections[-1].entries.append(Entry(line.partition("=")[0].strip(), line, pending))
            pending = []
        else:
            raise ValueError(f"{path}:{number}: neither a [section], a `key = value` line nor a comment: {line!r}")
    if any(line.strip() for line in pending):
        raise ValueError(f"{path}: comment at the end that belongs to no setting: {pending}")
    return lines[:head], sections


def dump(value: Any) -> str:
    """A setting's value as a config writes it (a ``${...}`` reference unquoted)."""
    if isinstance(value, str) and REFERENCE.fullmatch(value):
        return value
    if isinstance(value, list):
        return "[" + ",".join(dump(item) for item in value) + "]"
    if isinstance(value, float):  # positional, as default.cfg writes them: 0.000025, not 2.5e-05
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    return json.dumps(value)


def as_sections(name: str, values: Dict[str, Any], comments: List[str]) -> List[Section]:
    """A dict as the section ``name`` (its settings first) and its subsections."""
    entries = [Entry(key, f"{key} = {dump(value)}") for key, value in values.items() if not isinstance(value, dict)]
    sections = [Section(name, comments, entries)]
    for key, value in values.items():
        if isinstance(value, dict):
            sections += as_sections(f"{name}.{key}", value, [""])
    return sections


def lookup(config: Dict[str, Any], key: str) -> Any:
    """The value or section at a dotted key; REMOVE where there is none."""
    value: Any = config
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return REMOVE
        value = value[part]
    return value


def check(edits: Sequence[Edit], base: Config, name: str) -> None:
    """Each edit changes default.cfg, inside a section it has, and no edit is inside another."""
    for edit in edits:
        parent, _, _ = edit.key.rpartition(".")
        where = f"{name}: the edit of {edit.key}"
        if not parent and not (edit.value is REMOVE or isinstance(edit.value, dict)):
            raise ValueError(f"{where}: a setting needs a section (a dotted key)")
        if parent and not isinstance(lookup(base, parent), dict):
            raise ValueError(f"{where}: {BASE} has no section [{parent}]")
        current = lookup(base, edit.key)
        if edit.value is REMOVE and current is REMOVE:
            raise ValueError(f"{where}: {BASE} has no {edit.key} to remove")
        if current == edit.value:
            raise ValueError(f"{where}: {BASE} already has this value")
        inner = [other.key for other in edits if other is not edit and (other.key + ".").startswith(edit.key + ".")]
        if inner:
            raise ValueError(f"{where}: also edited by {inner}")


def subtree(sections: List[Section], name: str) -> List[int]:
    """The positions of section ``name`` and its subsections."""
    return [i for i, section in enumerate(sections) if (section.name + ".").startswith(name + ".")]


def apply(sections: List[Section], edit: Edit) -> List[Section]:
    """The sections with ``edit`` made (checked by ``check`` first)."""
    parent, _, key = edit.key.rpartition(".")
    comments = comment(edit.note)
    replaced = subtree(sections, edit.key)
    owner = next((section for section in sections if section.name == parent), None)
    found = next((entry for entry in owner.entries if entry.key == key), None) if owner else None
    kept = [section for i, section in enumerate(sections) if i not in replaced]
    if owner and found:
        if edit.value is REMOVE or isinstance(edit.value, dict):
            owner.entries.remove(found)
        else:
            found.line = f"{key} = {dump(edit.value)}"
            if comments:
                found.comments = [line for line in found.comments if not line.strip()][:1] + comments
    if isinstance(edit.value, dict):
        place = replaced[0] if replaced else max(subtree(kept, parent), default=len(kept) - 1) + 1
        return kept[:place] + as_sections(edit.key, edit.value, [""] + comments) + kept[place:]
    if edit.value is not REMOVE and owner and not found:
        owner.entries.append(Entry(key, f"{key} = {dump(edit.value)}", comments))
    return kept


def derive(base_text: str, derived: Derived) -> str:
    """The text of ``derived``: default.cfg's text with its edits."""
    check(derived.edits, Config().from_str(base_text, interpolate=False), derived.name)
    _, sections = parse(base_text, BASE)
    for edit in derived.edits:
        sections = apply(sections, edit)
    lines = header(derived)
    for section in sections:
        lines += section.comments + [f"[{section.name}]"]
        for entry in section.entries:
            lines += entry.comments + [entry.line]
    return "\n".join(lines) + "\n"


def write_configs(folder: Path) -> List[Path]:
    """Write each derived config into ``folder`` from its default.cfg; the paths written."""
    base_text = (folder / BASE).read_text(encoding="utf-8")
    paths = []
    for derived in DERIVED:
        path = folder / derived.name
        path.write_text(derive(base_text, derived), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(f"usage: python {sys.argv[0]} (writes {', '.join(d.name for d in DERIVED)} from {CONFIGS / BASE})")
    for written in write_configs(CONFIGS):
        print(f"wrote {written}")
