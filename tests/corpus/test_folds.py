"""Fold settings (``spacy_somd.corpus.folds``): a fold on the command line is a number or
none."""

import pytest

from spacy_somd.corpus.folds import parse_fold


@pytest.mark.parametrize("text,fold", [("2", 2), ("0", 0), ("none", None), ("None", None), (" null ", None)])
def test_a_fold_on_the_command_line_is_a_number_or_none(text, fold):
    assert parse_fold(text) == fold


def test_a_fold_that_is_neither_a_number_nor_none_is_refused():
    with pytest.raises(ValueError, match=r"--fold must be a fold number or none \(every fold trains\), not 'two'"):
        parse_fold("two")
