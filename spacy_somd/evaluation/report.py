"""Score tables: printed in the terminal (``report``) and written as Markdown (the
packaged pipeline's README). Scores are shown in percent with two decimals, as ``spacy
evaluate``, ``spacy train`` and ``spacy package`` show theirs."""

from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from wasabi import msg

from spacy_somd.labels import ENTITY_TYPES, RELATION_TYPES

Row = Tuple[str, ...]

# (score prefix, type order, title) of every per-type P/R/F family
PRF_FAMILIES = (
    ("token", ENTITY_TYPES, "Token-level (seed metric)"),
    ("ents", ENTITY_TYPES, "Entity-level exact match"),
    ("rel", RELATION_TYPES, "Relations, end to end (predicted entities)"),
)
GOLD_ENTITIES_TITLE = "Relations with gold entities"


def percent(score: float) -> str:
    """A score in [0, 1] as spaCy prints it: percent, two decimals."""
    return f"{100 * score:.2f}"


def flatten_scores(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """One dict of scores from `spacy evaluate` output, with or without --per-component
    (which nests each component's scores under its name)."""
    flat: Dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict) and not key.endswith("_per_type"):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def prf_rows(scores: Mapping[str, Any], prefix: str, order: List[str]) -> List[Row]:
    """Per-type P/R/F rows of ``PREFIX_per_type`` (in a fixed type order, then any other
    type) and the micro average; no rows when the family is not scored."""
    if scores.get(f"{prefix}_f") is None:
        return []
    per_type = scores.get(f"{prefix}_per_type") or {}
    types = [t for t in order if t in per_type] + sorted(set(per_type) - set(order))
    rows = [(t, *(percent(per_type[t][k]) for k in "prf")) for t in types]
    return rows + [("ALL (micro)", *(percent(scores[f"{prefix}_{k}"]) for k in "prf"))]


def software_merged_rows(scores: Mapping[str, Any]) -> List[Row]:
    """The token-level micro P/R/F with the four software types as one, where scored."""
    if scores.get("token_software_merged_f") is None:
        return []
    return [("ALL, software types as one", *(percent(scores[f"token_software_merged_{k}"]) for k in "prf"))]


def somd_rows(scores: Mapping[str, Any]) -> List[Row]:
    if scores.get("somd_macro_f") is None:
        return []
    return [("macro", percent(scores["somd_macro_f"])), ("micro", percent(scores["somd_micro_f"]))]


def category_rows(scores: Mapping[str, Any]) -> List[Row]:
    """Per-category P/R/F and ROC AUC, then the macro and micro F."""
    f, auc = scores.get("cats_f_per_type") or {}, scores.get("cats_auc_per_type") or {}
    if not f:
        return []
    rows = [(c, *(percent(v[k]) for k in "prf"), "n/a" if auc.get(c) is None else percent(auc[c])) for c, v in f.items()]
    return rows + [(f"{avg} F", "", "", percent(scores[f"cats_{avg}_f"]), "") for avg in ("macro", "micro")]


SOMD_TITLE = "SOMD score (mean of entity and end-to-end relation F)"
PRF_HEADER, SOMD_HEADER, CATEGORY_HEADER = ("Type", "P", "R", "F"), ("Average", "F"), ("Category", "P", "R", "F", "ROC AUC")
FAMILIES = ("token", "ents", "rel", "rel_gold_entities", "somd", "cats")


class Table(NamedTuple):
    title: str
    header: Row
    rows: List[Row]


def score_tables(scores: Mapping[str, Any], gold_entities: Optional[Mapping[str, Any]] = None) -> List[Table]:
    """The non-empty tables, in :data:`FAMILIES` order: token-level (with the software
    types as one in its last row, where scored), entity-level,
    relations end to end and (when given) with gold entities, the SOMD score and the
    sentence categories."""
    tables = {prefix: Table(title, PRF_HEADER, prf_rows(scores, prefix, list(order))) for prefix, order, title in PRF_FAMILIES}
    if tables["token"].rows:
        tables["token"].rows.extend(software_merged_rows(scores))
    if gold_entities is not None:
        tables["rel_gold_entities"] = Table(GOLD_ENTITIES_TITLE, PRF_HEADER, prf_rows(gold_entities, "rel", list(RELATION_TYPES)))
    tables["somd"] = Table(SOMD_TITLE, SOMD_HEADER, somd_rows(scores))
    tables["cats"] = Table("Sentence categories", CATEGORY_HEADER, category_rows(scores))
    return [tables[f] for f in FAMILIES if f in tables and tables[f].rows]


def print_scores(scores: Mapping[str, Any], gold_entities: Optional[Mapping[str, Any]] = None) -> None:
    """Print the tables of :func:`score_tables`."""
    for table in score_tables(scores, gold_entities):
        msg.table(table.rows, header=table.header, aligns=("l",) + ("r",) * (len(table.header) - 1), title=table.title, divider=True)


def markdown_table(rows: List[Row], header: Row) -> str:
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def markdown_scores(scores: Mapping[str, Any], gold_entities: Optional[Mapping[str, Any]] = None) -> str:
    """The tables of :func:`score_tables` in Markdown, each under a level-4 heading."""
    return "\n\n".join(f"#### {t.title}\n\n{markdown_table(t.rows, t.header)}" for t in score_tables(scores, gold_entities))
