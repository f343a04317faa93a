"""The score tables: one unit, percent with two decimals, as spaCy prints its own scores;
and `spacy evaluate` stays spaCy's own (no spacy_cli hook)."""

import importlib.metadata

from spacy_somd.evaluation.report import markdown_scores, print_scores

SCORES = {
    "token_p": 0.5,
    "token_r": 0.25,
    "token_f": 1 / 3,
    "token_per_type": {"Application": {"p": 0.5, "r": 0.25, "f": 1 / 3}},
    "somd_macro_f": 0.875,
    "somd_micro_f": 0.8,
    "cats_f_per_type": {"SOFTWARE": {"p": 1.0, "r": 0.5, "f": 2 / 3}},
    "cats_auc_per_type": {"SOFTWARE": 0.96875},
    "cats_macro_f": 2 / 3,
    "cats_micro_f": 2 / 3,
}


def spacy_percent(score: float) -> str:
    """How `spacy evaluate` prints a score (spacy/cli/evaluate.py)."""
    return f"{score * 100:.2f}"


def test_printed_and_markdown_tables_are_in_percent(capsys):
    print_scores(SCORES)
    printed = capsys.readouterr().out
    markdown = markdown_scores(SCORES)
    for text in (printed, markdown):
        for score in (1 / 3, 0.875, 0.8, 2 / 3, 0.96875, 0.25):
            assert spacy_percent(score) in text, (score, text)
        assert "0.333" not in text and "0.875" not in text
    assert "| ALL (micro) | 50.00 | 25.00 | 33.33 |" in markdown


def test_no_spacy_cli_hook():
    """`spacy evaluate` is not patched: its extra tables come from `report`."""
    groups = {entry_point.group for entry_point in importlib.metadata.distribution("spacy-somd").entry_points}
    assert "spacy_cli" not in groups and "spacy_factories" in groups


def test_token_table_ends_with_the_software_types_as_one_where_scored():
    merged = {**SCORES, "token_software_merged_p": 0.75, "token_software_merged_r": 0.5, "token_software_merged_f": 0.6}
    markdown = markdown_scores(merged)
    assert "| ALL (micro) | 50.00 | 25.00 | 33.33 |\n| ALL, software types as one | 75.00 | 50.00 | 60.00 |" in markdown
    assert "software types as one" not in markdown_scores(SCORES)
