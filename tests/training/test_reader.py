"""The fold reader (``spacy_somd.training.reader``): honest train/dev/heldout splits, the
fold manifest, settings checked, gold-tokenized examples, extra corpora."""

import json
import shutil
from pathlib import Path
from typing import List, Sequence

import pytest
import spacy
from spacy.training.initialize import init_nlp
from spacy.util import load_config, resolve_dot_names
from thinc.api import Config

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.folds import select_fold
from spacy_somd.corpus.format import Sentence
from spacy_somd.training.reader import create_fold_corpus, gold_tokenized_example
from tests.builders import CONFIGS, tiny_rows, write_somd


def lines(items) -> List[int]:
    return [getattr(item, "reference", item)._.somd_line for item in items]


def make_docs(entity_free: Sequence[int], n: int) -> list:
    """Docs of lines 1..n; the ``entity_free`` lines have no entity, the others one."""
    vocab = spacy.blank("en").vocab
    return [sentence_to_doc(vocab, Sentence(line, ["SPSS", "ran"], ["O", "O"] if line in entity_free else ["B-Application", "O"])) for line in range(1, n + 1)]


def test_splits_partition_the_folds_and_dev_comes_from_the_training_folds(tiny_corpus_docbins):
    nlp = spacy.blank("en")
    read = lambda split, **kw: lines(create_fold_corpus(tiny_corpus_docbins, 2, split, negative_ratio=1.0, **kw)(nlp))  # noqa: E731
    heldout, dev, train = read("heldout"), read("dev", dev_size=0.4), read("train", dev_size=0.4)
    assert heldout == [3, 7, 11, 15, 19]  # line i is in fold (i - 1) % 4
    assert len(dev) == 6 and not set(dev) & set(train)  # 40% of the 15 training-fold sentences
    assert sorted(dev + train) == [line for line in range(1, 21) if line not in heldout]
    assert read("dev", dev_size=0.4) == dev  # the seed fixes the draw
    assert {tuple(read("dev", dev_size=0.4, dev_seed=seed)) for seed in range(5)} != {tuple(dev)}


def test_dev_size_0_trains_on_all_the_other_folds(tiny_corpus_docbins):
    """Every sentence of the other folds trains; the dev split scored during training is
    then a sample of those training sentences (here all of them: fewer than the sample)."""
    nlp = spacy.blank("en")
    read = lambda split: lines(create_fold_corpus(tiny_corpus_docbins, 2, split, negative_ratio=1.0, dev_size=0.0)(nlp))  # noqa: E731
    assert read("train") == [line for line in range(1, 21) if line not in read("heldout")]
    assert read("dev") == read("train")


def test_no_held_out_fold_trains_on_every_fold(tiny_corpus_docbins):
    """``fold`` None (a release pipeline): train and dev share all the folds, and there is
    no held-out split to read."""
    nlp = spacy.blank("en")
    read = lambda split, **kw: lines(create_fold_corpus(tiny_corpus_docbins, None, split, negative_ratio=1.0, **kw)(nlp))  # noqa: E731
    assert read("train", dev_size=0.0) == list(range(1, 21))
    dev, train = read("dev", dev_size=0.2), read("train", dev_size=0.2)
    assert len(dev) == 4 and sorted(dev + train) == list(range(1, 21))
    with pytest.raises(ValueError, match=r"the heldout split needs a held-out fold, but fold \(somd.fold\) is null"):
        read("heldout")
    docs = make_docs(entity_free=[2, 3, 5, 7], n=8)
    assert lines(select_fold(docs, None, 2, "train", 0.5, dev_size=0.0)) == [1, 2, 3, 4, 6, 8]


def test_negative_ratio_keeps_the_first_entity_free_training_sentences():
    # 2 folds, fold 1 (even lines) held out; training lines 1 3 5 7 9 11 13 15 17 19, of
    # which 3 7 11 15 19 have no entity
    docs = make_docs(entity_free=[3, 7, 11, 15, 19, 2, 4], n=20)
    dev = lines(select_fold(docs, 1, 2, "dev", 0.0, dev_size=0.1, dev_seed=1))
    assert len(dev) == 1 and dev[0] % 2 == 1
    negatives = [line for line in (3, 7, 11, 15, 19) if line not in dev]
    for ratio in (0.0, 0.5, 1.0):
        kept = negatives[: int(len(negatives) * ratio)]
        train = lines(select_fold(docs, 1, 2, "train", ratio, dev_size=0.1, dev_seed=1))
        positives = [line for line in range(1, 21, 2) if line not in negatives and line not in dev]
        assert train == sorted(positives + kept)
    assert lines(select_fold(docs, 1, 2, "train", 1.0, dev_size=0.1, dev_seed=1, exclude=[1, 5])) == [
        line for line in range(3, 21, 2) if line not in dev and line != 5
    ]


@pytest.mark.parametrize(
    "settings,problem",
    [
        (dict(n_folds=1, fold=0), "n_folds (somd.n_folds) must be at least 2, not 1"),
        (dict(fold=7), "fold (somd.fold) must be in 0..3 for n_folds 4, not 7"),
        (dict(fold=-1), "fold (somd.fold) must be in 0..3"),
        (dict(negative_ratio=-0.2), "negative_ratio (somd.negative_ratio) must be in [0, 1], not -0.2"),
        (dict(negative_ratio=1.5), "negative_ratio (somd.negative_ratio)"),
        (dict(dev_size=-0.1), "dev_size (somd.dev_size) must be in [0, 1) (0: no development split), not -0.1"),
        (dict(dev_size=1.0), "dev_size (somd.dev_size)"),
        (dict(split="test"), "split must be one of train, dev, heldout, not 'test'"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, problem):
    arguments = {"path": Path("corpus"), "fold": 2, "split": "train", **settings}
    with pytest.raises(ValueError) as info:
        create_fold_corpus(**arguments)
    assert problem in str(info.value)


def test_a_dev_split_too_small_to_hold_a_sentence_is_refused(tiny_corpus_docbins):
    with pytest.raises(ValueError, match=r"dev_size \(somd.dev_size\) 0.01 of 15 training sentences leaves 0"):
        list(create_fold_corpus(tiny_corpus_docbins, 2, "dev", dev_size=0.01)(spacy.blank("en")))


def copy_folds(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def write_manifest(folder: Path, n_folds: int) -> None:
    files = [f"fold{k}.spacy" for k in range(n_folds)]
    manifest = {"n_folds": n_folds, "sentences": 20, "files": files, "sizes": [5] * n_folds}
    (folder / "folds.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_only_the_folds_a_split_needs_are_read(tiny_corpus_docbins, tmp_path):
    folder = copy_folds(tiny_corpus_docbins, tmp_path / "corpus")
    write_manifest(folder, 4)
    (folder / "fold0.spacy").write_bytes(b"not a DocBin")
    nlp = spacy.blank("en")
    assert lines(create_fold_corpus(folder, 2, "heldout")(nlp)) == [3, 7, 11, 15, 19]
    with pytest.raises(ValueError):
        list(create_fold_corpus(folder, 2, "train")(nlp))


def test_a_manifest_with_another_fold_count_is_refused(tiny_corpus_docbins, tmp_path):
    folder = copy_folds(tiny_corpus_docbins, tmp_path / "corpus")
    write_manifest(folder, 4)
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"folds.json: the corpus was converted into 4 folds but n_folds \(somd.n_folds\) is 5"):
        list(create_fold_corpus(folder, 2, "heldout", n_folds=5)(nlp))
    (folder / "fold3.spacy").unlink()
    with pytest.raises(FileNotFoundError, match="fold3.spacy"):
        list(create_fold_corpus(folder, 2, "heldout")(nlp))


def test_without_a_manifest_stale_fold_files_are_refused(tiny_corpus_docbins, tmp_path):
    folder = copy_folds(tiny_corpus_docbins, tmp_path / "corpus")
    (folder / "folds.json").unlink(missing_ok=True)
    for k in range(4, 8):  # left over from an earlier `convert --n-folds 8`
        shutil.copy(folder / "fold0.spacy", folder / f"fold{k}.spacy")
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"holds 8 fold files .* but n_folds \(somd.n_folds\) is 4"):
        list(create_fold_corpus(folder, 2, "heldout")(nlp))
    # read as 8 folds, fold 2 is the file fold2.spacy, filtered to lines i with (i - 1) % 8 == 2
    assert lines(create_fold_corpus(folder, 2, "heldout", n_folds=8)(nlp)) == [3, 11, 19]


def test_examples_keep_the_reference_tokens():
    """Training sees the corpus tokens as they are written, as `predict` does: no
    re-tokenization of the joined text."""
    nlp = spacy.blank("en")
    words = ["(SPSS)", "v.22", "http://x.org/a(b)", "non-parametric", "."]
    reference = sentence_to_doc(nlp.vocab, Sentence(1, words, ["B-Application", "B-Version", "B-URL", "O", "O"]))
    assert [t.text for t in nlp.make_doc(reference.text)] != words  # the tokenizer would split them
    example = gold_tokenized_example(nlp, reference)
    assert [t.text for t in example.predicted] == words
    assert [(e.start, e.end, e.label_) for e in example.reference.ents] == [(0, 1, "Application"), (1, 2, "Version"), (2, 3, "URL")]


def test_configs_choose_the_checkpoint_on_the_training_folds():
    """default.cfg's corpora; the generated configs keep them (test_configs.py)."""
    config = Config().from_disk(CONFIGS / "default.cfg", interpolate=False)
    assert config["corpora"]["dev"]["split"] == "dev" and config["corpora"]["train"]["split"] == "train"
    for split in ("train", "dev"):
        assert config["corpora"][split]["dev_size"] == "${somd.dev_size}"
        assert config["corpora"][split]["dev_seed"] == "${somd.dev_seed}"
    augmenter = config["corpora"]["train"]["augmenter"]
    assert augmenter["@augmenters"] == "spacy_somd.chain_augmenters.v1"
    assert [step["@augmenters"] for step in augmenter["*"].values()] == ["spacy_somd.rare_type_repeats.v1", "spacy_somd.tokenization_variants.v1"]
    assert config["training"]["annotating_components"] == ["sentencizer"]


def test_training_sets_sentence_boundaries_as_prediction_does(tiny_corpus_docbins, monkeypatch):
    """spaCy runs a plain Pipe on ``eg.predicted`` during ``nlp.update`` only when it is
    an annotating component; the configs list the sentencizer, so the relation extractor
    and NER see the sentences in training that they see in prediction."""
    config = load_config(CONFIGS / "fast.cfg", overrides={"paths.corpus": str(tiny_corpus_docbins)})
    nlp = init_nlp(config)
    relations = nlp.get_pipe("somd_relation_extractor")
    seen: List[bool] = []
    update = relations.update

    def probe(examples, **kwargs):
        seen.extend(eg.predicted.has_annotation("SENT_START") for eg in examples)
        return update(examples, **kwargs)

    monkeypatch.setattr(relations, "update", probe)
    examples = list(create_fold_corpus(tiny_corpus_docbins, 2, "train")(nlp))[:4]
    nlp.update(examples, annotates=[])
    assert seen == [False] * 4
    nlp.update(examples, annotates=config["training"]["annotating_components"])
    assert seen == [False] * 4 + [True] * 4


EXTRA_ROWS = [
    ("We ran Kraken 2.1 .".split(), ["O", "O", "B-Application", "B-Version", "O"], [("Version_of", 3, 2)]),
    ("No software here .".split(), ["O"] * 4, []),
    ("Maps were drawn in QGIS .".split(), ["O", "O", "O", "O", "B-Application", "O"], []),
    ("Nor here .".split(), ["O"] * 3, []),
]


def converted(folder: Path, rows, n_folds: int = 1) -> Path:
    """``rows`` written as a SOMD corpus and converted by the real `convert` command."""
    from typer.testing import CliRunner

    from spacy_somd.cli import app

    write_somd(folder / "somd", rows)
    result = CliRunner().invoke(app, ["convert", str(folder / "somd"), str(folder / "docbins"), "--n-folds", str(n_folds)])
    assert result.exit_code == 0, result.output
    return folder / "docbins"


@pytest.mark.parametrize("n_folds", [1, 2])
def test_an_extra_corpus_trains_beside_the_training_folds(tiny_corpus_docbins, tmp_path, n_folds):
    """Every sentence of the extra corpus joins the training split (after the entity-free
    share), numbered on after the corpus's 20 lines; dev and held-out stay as they were."""
    extra = converted(tmp_path, EXTRA_ROWS, n_folds)
    nlp = spacy.blank("en")
    read = lambda split, **kw: create_fold_corpus(tiny_corpus_docbins, 2, split, dev_size=0.2, **kw)(nlp)  # noqa: E731
    train, with_extra = list(read("train", negative_ratio=0.5)), list(read("train", negative_ratio=0.5, extra=extra))
    assert lines(with_extra[: len(train)]) == lines(train)
    added = with_extra[len(train) :]
    assert [eg.reference.text for eg in added] == ["We ran Kraken 2.1 .", "No software here .", "Maps were drawn in QGIS ."]
    assert lines(added) == [21, 22, 23]
    assert [(e.text, e.label_) for e in added[0].reference.ents] == [("Kraken", "Application"), ("2.1", "Version")]
    assert added[0].reference._.somd_relations
    assert lines(read("train", negative_ratio=0.0, extra=extra))[-2:] == [21, 23]


def test_an_extra_corpus_is_refused_outside_training_and_where_it_is_missing(tiny_corpus_docbins, tmp_path):
    with pytest.raises(ValueError, match=r"extra \(paths.extra_corpus\) only adds training sentences, not to the heldout split"):
        create_fold_corpus(tiny_corpus_docbins, 2, "heldout", extra=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"extra_corpus \(paths.extra_corpus\) .*missing: no such folder"):
        list(create_fold_corpus(tiny_corpus_docbins, 2, "train", extra=tmp_path / "missing")(spacy.blank("en")))


def test_held_out_sentences_in_an_extra_corpus_are_left_out_with_a_warning(tiny_corpus_docbins, tmp_path):
    """A held-out sentence in the extra corpus, even in another tokenization, would score
    the held-out fold on seen text: left out, and the warning names both line numbers."""
    held_out = tiny_rows()[6]  # line 7: fold 2
    words = held_out[0]
    rejoined = (words[:-2] + [words[-2] + words[-1]], held_out[1][:-1], held_out[2])
    extra = converted(tmp_path, EXTRA_ROWS[:1] + [rejoined])
    read = lambda fold: lines(create_fold_corpus(tiny_corpus_docbins, fold, "train", extra=extra)(spacy.blank("en")))  # noqa: E731
    with pytest.warns(UserWarning, match=r"left out 1 of its 2 sentences, held-out sentences \(its line 2 is line 7 of"):
        assert read(2)[-1] == 21
    assert read(0)[-2:] == [21, 22]  # line 7 is a training sentence when fold 0 is held out


@pytest.mark.parametrize("name", ["default.cfg", "fast.cfg", "gpu.cfg"])
def test_the_configs_train_on_an_extra_corpus_given_in_paths(tiny_corpus_docbins, tmp_path, name):
    extra = converted(tmp_path, EXTRA_ROWS)
    overrides = {"paths.corpus": str(tiny_corpus_docbins), "paths.extra_corpus": str(extra)}
    for paths, most in ((overrides, 23), ({"paths.corpus": str(tiny_corpus_docbins)}, 20)):
        config = load_config(CONFIGS / name, overrides=paths, interpolate=True)
        (train,) = resolve_dot_names(config, ["corpora.train"])
        assert max(lines(train(spacy.blank("en")))) == most
