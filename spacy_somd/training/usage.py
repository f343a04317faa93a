"""Training the usage flags (``somd_software_usage``) on Softcite's software mentions.

``spacy_somd.SoftciteUsageCorpus.v1`` reads a split of the contexts file (the articles'
fixed split, :func:`spacy_somd.corpus.softcite.article_split`) as Examples: the reference
docs of :func:`spacy_somd.corpus.softcite_usage.usage_docs`, predicted docs with the same
tokens and the gold software spans given.

:func:`train_usage` trains ``configs/usage.cfg`` on frozen features: the transformer is
initialized from its backbone and never updated, it runs once over every sentence, and
only the usage head learns from its outputs (``doc._.trf_data``, which the listener reads
when the transformer does not run in the update). The epoch and each flag's threshold are
chosen on ``dev``; ``test`` is scored once, by the chosen pipeline."""

import json
import random
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, cast

from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, load_model_from_config, minibatch, registry
from thinc.api import Config, Model, Optimizer, chain, set_dropout_rate
from thinc.types import Floats2d
from wasabi import msg

from spacy_somd.corpus.softcite import SPLITS, read_contexts
from spacy_somd.corpus.softcite_usage import DEFAULT_LABEL, predicted_doc, usage_docs
from spacy_somd.labels import USAGE_KEY
from spacy_somd.pipeline.usage.gold import gold_usage
from spacy_somd.pipeline.usage.pipe import SoftwareUsage, sigmoid_loss
from spacy_somd.pipeline.usage.scorer import score_usage

USAGE_PIPE = "somd_software_usage"


@registry.readers("spacy_somd.SoftciteUsageCorpus.v1")
def create_softcite_usage_corpus(path: Path, split: str, label: str = DEFAULT_LABEL, limit: int = 0) -> Callable[[Language], Iterator[Example]]:
    """Examples of the sentences that mention software in the articles of one split
    (``train``, ``dev`` or ``test``) of Softcite's contexts file (``path``: the file or its
    folder): gold software spans labelled ``label`` on both docs, the gold flags on the
    reference. ``limit`` > 0 keeps the first ``limit``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")

    def read(nlp: Language) -> Iterator[Example]:
        docs = usage_docs(nlp, read_contexts(path, [split]), label=label, where=str(path))
        for doc in docs[:limit] if limit > 0 else docs:
            yield Example(predicted_doc(nlp, doc), doc)

    return read


def best_threshold(probs: Sequence[float], golds: Sequence[bool]) -> float:
    """The threshold among the probabilities that gives the best F1 (the highest of
    equals; 0.5 when no gold is positive)."""
    positives = sum(golds)
    if not positives:
        return 0.5
    pairs = sorted(zip(probs, golds), key=lambda p: -p[0])
    best_f, best_t, tp = -1.0, 0.5, 0
    for n, (p, g) in enumerate(pairs, 1):
        tp += g
        f = 2 * tp / (n + positives)
        if f > best_f and (n == len(pairs) or pairs[n][0] < p):
            best_f, best_t = f, p
    return float(best_t)


def flag_probabilities(pipe: SoftwareUsage, examples: Sequence[Example]) -> Dict[str, List[tuple]]:
    """Per flag, (probability, gold) of every gold software entity of the examples, after
    the pipe annotated their predicted docs."""
    found: Dict[str, List[tuple]] = {flag: [] for flag in pipe.labels}
    for eg in examples:
        gold = gold_usage(eg.reference, pipe.cfg["software_labels"])
        if gold is None:
            continue
        probs = {(e.start_char, e.end_char): e._.get(USAGE_KEY) or {} for e in eg.predicted.ents}
        for key, flags in gold.items():
            for flag in pipe.labels:
                found[flag].append((float(probs.get(key, {}).get(flag, 0.0)), flag in flags))
    return found


def annotate(nlp: Language, examples: Sequence[Example], batch_size: int = 64) -> None:
    """Run the usage pipe over the predicted docs (their transformer outputs already set)."""
    pipe = cast(SoftwareUsage, nlp.get_pipe(USAGE_PIPE))
    for batch in minibatch(list(examples), batch_size):
        docs = [eg.predicted for eg in batch]
        pipe.set_annotations(docs, pipe.predict(docs))


def build_pipeline(config_path: Path, contexts: Path, seed: int, overrides: Optional[Dict[str, Any]]) -> Language:
    fix_random_seed(seed)
    config = Config().from_disk(config_path, overrides={"system.seed": seed, "paths.softcite": str(contexts), **(overrides or {})})
    return load_model_from_config(config, auto_fill=True, validate=True)


def train_usage(
    config_path: Path,
    contexts: Path,
    output: Path,
    seeds: Sequence[int] = (0,),
    max_epochs: int = 30,
    patience: int = 6,
    batch_size: int = 32,
    dropout: float = 0.1,
    overrides: Optional[Dict[str, Any]] = None,
) -> List[Dict[str, Any]]:
    """Train the usage head of ``config_path`` on frozen transformer features of the
    ``train`` articles of ``contexts``, once per seed, each into ``output/seed{N}``: the
    transformer runs once over every sentence and its outputs serve every seed. Each run
    chooses its epoch (best macro F1 on ``dev`` at each flag's best threshold there,
    stopping after ``patience`` epochs without a better one) and thresholds on ``dev``, and
    is scored on ``dev`` and ``test``; the reports are returned and written to
    ``output/seed{N}/usage-scores.json``."""
    started = time.time()
    first = build_pipeline(config_path, contexts, seeds[0], overrides)
    data = {split: list(create_softcite_usage_corpus(contexts, split)(first)) for split in SPLITS}
    msg.info(f"{contexts}: " + ", ".join(f"{split} {len(egs)} sentences" for split, egs in data.items()))
    first.initialize(lambda: iter(data["train"]))
    transformer = cast(Any, first.get_pipe("transformer"))
    for examples in data.values():
        for batch in minibatch(examples, 64):
            docs = [eg.predicted for eg in batch]
            transformer.set_annotations(docs, transformer.predict(docs))
    features_s = time.time() - started
    msg.info(f"transformer features of {sum(map(len, data.values()))} sentences in {features_s:.0f}s")
    reports = []
    for seed in seeds:
        nlp = first if seed == seeds[0] else build_pipeline(config_path, contexts, seed, overrides)
        if nlp is not first:
            nlp.initialize(lambda: iter(data["train"]))
        report = train_head(nlp, data, output / f"seed{seed}", seed, max_epochs, patience, batch_size, dropout)
        report["seconds"]["features"] = round(features_s, 1)
        (output / f"seed{seed}" / "usage-scores.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        reports.append(report)
    return reports


class Features(NamedTuple):
    """A split's mention features (the first layer of the usage model, frozen), gold
    flags and mask."""

    X: Floats2d
    truths: Floats2d
    mask: Floats2d


def split_features(pipe: SoftwareUsage, examples: Sequence[Example]) -> Features:
    """The features of the examples' software entities, through the model's first layer
    (the listener and the mention pooling) once."""
    inputs, truths, mask = pipe.training_inputs(examples)
    return Features(pipe.model.layers[0].predict(inputs), truths, mask)


def macro_f_at_best_thresholds(flags: Sequence[str], probs: Any, truths: Any) -> Tuple[float, Dict[str, float]]:
    """Each flag's best threshold on these probabilities and the macro F1 there."""
    thresholds, scores = {}, []
    for j, flag in enumerate(flags):
        p, g = probs[:, j].tolist(), [bool(x) for x in truths[:, j].tolist()]
        thresholds[flag] = best_threshold(p, g)
        tp = sum(1 for pi, gi in zip(p, g) if gi and pi >= thresholds[flag])
        predicted = sum(1 for pi in p if pi >= thresholds[flag])
        scores.append(2 * tp / (predicted + sum(g)) if predicted + sum(g) else 0.0)
    return sum(scores) / len(scores), thresholds


def train_head(
    nlp: Language, data: Dict[str, List[Example]], output: Path, seed: int, max_epochs: int, patience: int, batch_size: int, dropout: float
) -> Dict[str, Any]:
    """Train the usage pipe of ``nlp`` on ``data["train"]`` (their transformer outputs
    set): the mention features are computed once, since the transformer is frozen, and
    the layers after them (``model.layers[1:]``, shared with the pipe's model) learn with
    the pipe's loss and optimizer step. The epoch and thresholds are chosen on
    ``data["dev"]``; ``nlp`` is saved to ``output`` and scored, through the pipe, on dev
    and test."""
    started = time.time()
    fix_random_seed(seed)
    pipe = cast(SoftwareUsage, nlp.get_pipe(USAGE_PIPE))
    ops = pipe.model.ops
    head: Model = chain(*pipe.model.layers[1:])
    train, dev = split_features(pipe, data["train"]), split_features(pipe, data["dev"])
    optimizer: Optimizer = nlp.create_optimizer()
    rng = random.Random(seed)
    order = list(range(train.X.shape[0]))
    best: Dict[str, Any] = {"f": -1.0}
    history = []
    for epoch in range(1, max_epochs + 1):
        rng.shuffle(order)
        set_dropout_rate(head, dropout)
        loss = 0.0
        for batch in minibatch(order, batch_size):
            rows = ops.asarray1i(batch)
            logits, backprop = head.begin_update(train.X[rows])
            batch_loss, d_logits = sigmoid_loss(ops, logits, train.truths[rows], train.mask[rows])
            backprop(d_logits)
            pipe.finish_update(optimizer)
            loss += batch_loss
        probs = ops.to_numpy(ops.sigmoid(head.predict(dev.X)))
        dev_f, thresholds = macro_f_at_best_thresholds(pipe.labels, probs, ops.to_numpy(dev.truths))
        history.append({"epoch": epoch, "loss": round(loss, 3), "dev_macro_f": dev_f, "thresholds": thresholds})
        msg.text(f"seed {seed}, epoch {epoch}: loss {loss:.2f}, dev macro F1 {dev_f:.4f}")
        if dev_f > best["f"]:
            best = {"f": dev_f, "epoch": epoch, "thresholds": thresholds, "weights": pipe.model.to_bytes()}
        elif epoch - best["epoch"] >= patience:
            break
    pipe.model.from_bytes(best["weights"])
    pipe.cfg["thresholds"] = best["thresholds"]
    nlp.get_pipe_config(USAGE_PIPE)["thresholds"] = best["thresholds"]  # the saved config's
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    scores = {}
    for split in ("dev", "test"):
        annotate(nlp, data[split])
        result = score_usage(data[split], labels=pipe.labels, software_labels=pipe.cfg["software_labels"])
        scores[split] = {"per_flag": result["usage_per_flag"], "macro_f": result["usage_macro_f"], "macro_auc": result["usage_macro_auc"]}
    return {
        "seed": seed,
        "epoch": best["epoch"],
        "thresholds": best["thresholds"],
        "sentences": {split: len(egs) for split, egs in data.items()},
        "scores": scores,
        "history": history,
        "seconds": {"head": round(time.time() - started, 1)},
    }
