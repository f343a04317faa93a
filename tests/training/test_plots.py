"""The training-log reader and plots (``spacy_somd.training.plots``)."""

import pytest

from spacy_somd.corpus.format import SomdFormatError
from spacy_somd.training.plots import plot_training_log, read_training_log


def test_training_log_errors_name_file_and_line(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"epoch": 0, "step": 0, "losses": {}, "scores": {}}\n{"epoch": 1}\n', encoding="utf-8")
    with pytest.raises(SomdFormatError, match=r"log.jsonl, line 2: a training log record without step"):
        read_training_log(log)
    log.write_text("not json\n", encoding="utf-8")
    with pytest.raises(SomdFormatError, match="line 1: not valid JSON"):
        read_training_log(log)


def test_training_curves_plot_the_logged_percentages(tmp_path):
    """spaCy's console logger writes scores x 100: the dev panel spans 0-100 and shows the
    F and AUC scores as logged (not P/R, which would crowd it)."""
    records = [
        {"epoch": 0, "step": 0, "losses": {"ner": 10.0}, "scores": {"token_f": 0.2, "token_p": 0.1, "cats_macro_auc": 40.0}},
        {"epoch": 3, "step": 100, "losses": {"ner": 2.0}, "scores": {"token_f": 80.5, "token_p": 79.0, "cats_macro_auc": 95.0}},
    ]
    figure = plot_training_log(records, tmp_path / "curves.png")
    scores = figure.axes[1]
    assert scores.get_ylim() == (0, 100)
    assert {line.get_label(): list(line.get_ydata()) for line in scores.get_lines()} == {"token_f": [0.2, 80.5], "cats_macro_auc": [40.0, 95.0]}
    assert (tmp_path / "curves.png").stat().st_size > 10_000


def test_a_log_without_dev_scores_says_so_instead_of_plotting_zeros(tmp_path):
    """Trained with ``somd.dev_size = 0`` the dev set is empty and spaCy logs every score as 0."""
    records = [{"epoch": e, "step": 10 * e, "losses": {"ner": 5.0 - e}, "scores": {"token_f": 0.0, "cats_macro_auc": 0.0}} for e in range(3)]
    scores = plot_training_log(records, tmp_path / "curves.png").axes[1]
    assert scores.get_lines() == [] and [t.get_text() for t in scores.texts] == ["no scores in the log"]
