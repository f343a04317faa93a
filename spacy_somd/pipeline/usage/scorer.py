"""The scorer of ``somd_software_usage`` and its registered maker ``spacy_somd.usage_scorer.v1``.

For each flag: precision, recall and F1 of the (software entity, flag) pairs, a predicted
pair matching a gold one of the same characters (``doc.spans["somd_usage"]`` of the
predicted and the reference doc), and the ROC AUC of the predicted probabilities
(``span._.somd_usage``) over the gold software entities (0.0 for one that prediction
missed). References without gold flags are left out."""

from typing import Any, Callable, Dict, Iterable, Sequence

from spacy.scorer import PRFScore, ROCAUCScore
from spacy.training import Example
from spacy.util import registry

from spacy_somd.labels import SOFTWARE_TYPES, USAGE_FLAGS, USAGE_KEY
from spacy_somd.pipeline.usage.gold import gold_usage, software_entities


def score_usage(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """``usage_{flag}_p``, ``_r``, ``_f``, ``_auc`` per flag, their macro means
    ``usage_macro_f`` and ``usage_macro_auc``, and ``usage_per_flag``. Takes the pipe's
    ``labels`` (the flags) and ``software_labels`` settings."""
    flags: Sequence[str] = list(kwargs.get("labels") or USAGE_FLAGS)
    software_labels = list(kwargs.get("software_labels") or SOFTWARE_TYPES)
    prf = {flag: PRFScore() for flag in flags}
    auc = {flag: ROCAUCScore() for flag in flags}
    for eg in examples:
        gold = gold_usage(eg.reference, software_labels)
        if gold is None:
            continue
        predicted_group = eg.predicted.spans[USAGE_KEY] if USAGE_KEY in eg.predicted.spans else []
        predicted = {(s.start_char, s.end_char, s.label_) for s in predicted_group}
        wanted = {(start, end, flag) for (start, end), found in gold.items() for flag in found}
        for flag in flags:
            pred = {p for p in predicted if p[2] == flag}
            true = {g for g in wanted if g[2] == flag}
            prf[flag].tp += len(pred & true)
            prf[flag].fp += len(pred - true)
            prf[flag].fn += len(true - pred)
        probs = {(e.start_char, e.end_char): e._.get(USAGE_KEY) or {} for e in software_entities(eg.predicted, software_labels)}
        for key, found in gold.items():
            for flag in flags:
                auc[flag].score_set(float(probs.get(key, {}).get(flag, 0.0)), flag in found)
    per_flag = {flag: {"p": prf[flag].precision, "r": prf[flag].recall, "f": prf[flag].fscore, "auc": auc_or_none(auc[flag])} for flag in flags}
    scores: Dict[str, Any] = {}
    for flag, values in per_flag.items():
        scores.update({f"usage_{flag}_{key}": value for key, value in values.items()})
    aucs = [v["auc"] for v in per_flag.values() if v["auc"] is not None]
    scores["usage_macro_f"] = sum(v["f"] for v in per_flag.values()) / len(flags) if flags else 0.0
    scores["usage_macro_auc"] = sum(aucs) / len(aucs) if aucs else None
    scores["usage_per_flag"] = per_flag
    return scores


def auc_or_none(score: ROCAUCScore) -> Any:
    """The ROC AUC, None where it is undefined (one class only)."""
    try:
        return score.score
    except ValueError:
        return None


@registry.scorers("spacy_somd.usage_scorer.v1")
def make_usage_scorer() -> Callable[..., Dict[str, Any]]:
    return score_usage
