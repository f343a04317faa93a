"""Fold settings (``spacy_somd.corpus.folds``): settings that cannot describe a split are
refused naming the setting, and without a development split the ``dev`` split is a fixed
sample of the training sentences."""

import pytest
import spacy

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.folds import TRAINING_SAMPLE_SIZE, check_fold_settings, select_fold, training_sample
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import LINE_ATTR


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"fold": "two", "n_folds": 4}, "fold (somd.fold) must be a whole number or null (every fold trains), not 'two'"),
        ({"fold": 1.5, "n_folds": 4}, "fold (somd.fold) must be a whole number"),
        ({"fold": True, "n_folds": 4}, "fold (somd.fold) must be a whole number"),
        ({"fold": 1, "n_folds": "4"}, "n_folds (somd.n_folds) must be a whole number, not '4'"),
        ({"fold": 1, "n_folds": 4, "negative_ratio": "all"}, "negative_ratio (somd.negative_ratio) must be a number"),
        ({"fold": 4, "n_folds": 4}, "fold (somd.fold) must be in 0..3"),
        ({"fold": None, "n_folds": 1}, "n_folds (somd.n_folds) must be at least 2"),
        ({"fold": 1, "n_folds": 4, "dev_size": 1.0}, "dev_size (somd.dev_size) must be in [0, 1)"),
    ],
)
def test_fold_settings_that_cannot_describe_a_split_are_refused(settings, message):
    with pytest.raises(ValueError) as err:
        check_fold_settings(**settings)
    assert message in str(err.value)


@pytest.mark.parametrize("fold", [None, 0, 3])
def test_fold_settings_that_describe_a_split_pass(fold):
    check_fold_settings(fold, 4, 0.3, 0.0)


def corpus_docs(n: int):
    vocab = spacy.blank("en").vocab
    labels = ["B-Application", "O"]
    return [sentence_to_doc(vocab, Sentence(line, ["Fiji", "here"], labels if line % 3 else ["O", "O"], [])) for line in range(1, n + 1)]


def test_without_a_development_split_dev_is_a_fixed_sample_of_the_training_sentences():
    docs = corpus_docs(1000)
    train = select_fold(docs, 2, 4, "train", 0.3, dev_size=0.0, dev_seed=0)
    dev = select_fold(docs, 2, 4, "dev", 0.3, dev_size=0.0, dev_seed=0)
    lines = [d._.get(LINE_ATTR) for d in dev]
    assert len(dev) == TRAINING_SAMPLE_SIZE < len(train)
    assert set(lines) <= {d._.get(LINE_ATTR) for d in train}  # training sentences, never held out
    assert lines == sorted(lines)
    assert lines == [d._.get(LINE_ATTR) for d in select_fold(docs, 2, 4, "dev", 0.3, dev_size=0.0, dev_seed=0)]
    assert lines != [d._.get(LINE_ATTR) for d in select_fold(docs, 2, 4, "dev", 0.3, dev_size=0.0, dev_seed=1)]
    held_out = {d._.get(LINE_ATTR) for d in select_fold(docs, 2, 4, "heldout", 0.3)}
    assert not held_out & set(lines)


def test_a_small_training_set_is_its_own_sample():
    docs = corpus_docs(20)
    assert training_sample(docs, 0) == docs
