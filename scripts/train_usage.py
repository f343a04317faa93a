"""Train the usage flags of ``configs/usage.cfg`` on Softcite's software mentions and score
them on the dev and test articles (see ``spacy_somd.training.usage.train_usage``).

    python scripts/train_usage.py configs/usage.cfg ../shared/softcite OUTPUT --seeds 0 1
"""

import argparse
import json
from pathlib import Path

from spacy_somd.training.usage import train_usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("contexts", type=Path, help="software-contexts.json.gz or its folder")
    parser.add_argument("output", type=Path, help="a folder: one trained pipeline per seed in OUTPUT/seedN, its scores in usage-scores.json")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=6)
    parser.add_argument("--window", type=int, default=None, help="the model's window (tokens before and after a mention; 0: none), else the config's")
    args = parser.parse_args()
    overrides = {} if args.window is None else {"components.somd_software_usage.model.window": args.window}
    reports = train_usage(args.config, args.contexts, args.output, seeds=args.seeds, max_epochs=args.max_epochs, patience=args.patience, overrides=overrides)
    for report in reports:
        print(json.dumps({key: report[key] for key in ("seed", "epoch", "thresholds", "scores", "seconds")}, indent=2))


if __name__ == "__main__":
    main()
