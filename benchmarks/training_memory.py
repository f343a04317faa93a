"""What training holds in memory, update by update (run from the project folder):

    python benchmarks/training_memory.py configs/default.cfg --steps 40 --eval-every 20 \
        --setting 'as configured={}' \
        --setting 'no trimming={"training.before_update": null}' \
        --setting 'one padded batch={"training.before_update": null, "components.transformer.model.max_padded_pieces": 1000000}'

trains the config on the corpus (fold 2 held out) for ``--steps`` updates once per
``--setting`` (a name and JSON config overrides), all settings at the same time, each in
its own process with one thread, so that their times are side by side on one machine. A
``before_update`` hook reads the process's resident memory before every update and its
peak since the previous update (``/proc/self/status``; the peak is reset with
``/proc/self/clear_refs``), the batcher records each batch's size; the hook runs the
setting's own ``[training] before_update`` callback too. It prints, per setting, the
resident memory after some updates, the highest peak of any update (and of which batch),
and per update the wall seconds, the user and system CPU seconds and the minor page faults
(what memory given back to the system and taken again costs); ``--output`` keeps every
update's record as JSONL. Linux only.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
REPORTED_STEPS = (10, 20, 40, 80, 160, 320)


def status_mb(key: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith(key))


def child(args: argparse.Namespace) -> None:
    """One setting's training, writing a JSON line per update to ``args.records``."""
    from spacy.cli.train import train
    from spacy.util import load_config, registry

    overrides: Dict[str, Any] = {"paths.corpus": str(args.corpus), "somd.fold": args.fold, **json.loads(args.overrides)}
    config = load_config(args.config, overrides=overrides, interpolate=False)
    own_hook = config["training"].get("before_update")
    own_batcher = dict(config["training"]["batcher"])
    batches: List[Dict[str, int]] = []
    records = open(args.records, "w")

    @registry.batchers("training_memory.batcher.v1")
    def make_batcher() -> Callable:
        inner = registry.resolve({"batcher": own_batcher})["batcher"]

        def batcher(items):
            for batch in inner(items):
                lengths = [len(eg.reference) for eg in batch]
                batches.append({"sentences": len(batch), "tokens": sum(lengths), "longest": max(lengths)})
                yield batch

        return batcher

    @registry.callbacks("training_memory.before_update.v1")
    def make_hook() -> Callable:
        hook: Optional[Callable] = registry.resolve({"hook": own_hook})["hook"] if own_hook else None

        def before_update(nlp, info: Dict[str, int]) -> None:
            if hook is not None:
                hook(nlp, info)
            usage = resource.getrusage(resource.RUSAGE_SELF)
            record = {
                "step": info["step"],
                "rss_mb": status_mb("VmRSS"),
                "peak_mb": status_mb("VmHWM"),
                "time": time.perf_counter(),
                "user": usage.ru_utime,
                "system": usage.ru_stime,
                "page_faults": usage.ru_minflt,
                "batch": batches[-1] if batches else None,
            }
            records.write(json.dumps(record) + "\n")
            records.flush()
            Path("/proc/self/clear_refs").write_text("5")  # the next peak is the next update's

        return before_update

    overrides.update(
        {
            "training.max_steps": args.steps,
            "training.eval_frequency": args.eval_every,
            "training.before_update": {"@callbacks": "training_memory.before_update.v1"},
            "training.batcher": {"@batchers": "training_memory.batcher.v1"},
        }
    )
    with tempfile.TemporaryDirectory() as output:
        train(Path(args.config), Path(output), overrides=overrides, use_gpu=-1)


def summary(name: str, records: List[Dict[str, Any]]) -> List[str]:
    """A table row: resident memory after some updates, the highest peak, then per update the
    wall seconds, the process's user and system CPU seconds and its minor page faults (the
    cost of memory given back and taken again). A record's peak is that of the update before
    it (and of any evaluation after that update)."""
    by_step = {record["step"]: record for record in records}
    worst = max(records[1:], key=lambda record: record["peak_mb"])
    previous = by_step.get(worst["step"] - 1, {}).get("batch")
    per_update = {key: (records[-1][key] - records[1][key]) / max(1, len(records) - 2) for key in ("time", "user", "system", "page_faults")}
    rss = [str(by_step[step]["rss_mb"]) if step in by_step else "" for step in REPORTED_STEPS]
    return [
        name,
        *rss,
        str(worst["peak_mb"]),
        json.dumps(previous),
        f"{per_update['time']:.2f}",
        f"{per_update['user']:.2f}",
        f"{per_update['system']:.2f}",
        f"{per_update['page_faults']:,.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--fold", type=int, default=2)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--eval-every", type=int, default=20)
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=JSON")
    parser.add_argument("--output", type=Path, help="a folder for each setting's records (JSONL)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    settings = dict(setting.split("=", 1) for setting in args.setting or ["as configured={}"])
    output = args.output or Path(tempfile.mkdtemp(prefix="training_memory"))
    output.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    processes = {}
    for number, (name, overrides) in enumerate(settings.items()):
        json.loads(overrides)  # a bad setting fails here, not in a child
        command = [
            sys.executable,
            __file__,
            str(args.config),
            "--child",
            "--corpus",
            str(args.corpus),
            "--fold",
            str(args.fold),
            "--steps",
            str(args.steps),
            "--eval-every",
            str(args.eval_every),
            "--overrides",
            overrides,
            "--records",
            str(output / f"setting{number}.jsonl"),
        ]
        processes[name] = (subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL), output / f"setting{number}.jsonl")
    rows = []
    for name, (process, records) in processes.items():
        if process.wait() != 0:
            sys.exit(f"training_memory: the setting {name!r} failed (exit code {process.returncode})")
        rows.append(summary(name, [json.loads(line) for line in records.read_text().splitlines()]))
    steps = [f"RSS after {step} (MB)" for step in REPORTED_STEPS if step <= args.steps]
    tail = ["highest peak of an update (MB)", "its batch", "s / update", "user CPU s / update", "system CPU s / update", "page faults / update"]
    header = ["setting", *steps, *tail]
    rows = [row[:1] + row[1 : 1 + len(steps)] + row[-len(tail) :] for row in rows]
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    print("\n".join("| " + " | ".join(row) + " |" for row in rows))
    print(f"records: {output}")


if __name__ == "__main__":
    main()
