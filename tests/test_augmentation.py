"""Re-tokenized and renamed variants: labels and relations carried along (hand-worked
examples, every corpus sentence), the registered augmenters, and the `variant` command."""

import random
from typing import List, Sequence, Tuple

import pytest
import spacy
from conftest import CONFIGS, SHARED_CORPUS, somd_blank
from spacy.tokens import DocBin
from spacy.util import load_config, registry
from thinc.api import Config
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import FILE_NAMES, Sentence, bio_to_spans, parse_labels, parse_relations, read_corpus_dir
from spacy_somd.corpus.retokenization import Edit, apply_edits, tokenization_variant
from spacy_somd.corpus.unseen_names import SHAPES, generate_name, software_mentions, unseen_names_variant
from spacy_somd.pipeline.sentencizer import DEFAULT_CONFIG, sentence_starts
from spacy_somd.training.augmenters import (
    create_chain_augmenter,
    create_rare_type_repeats_augmenter,
    create_tokenization_augmenter,
    example_sentence,
)
from spacy_somd.training.reader import gold_tokenized_example


def sentence(text: str, labels: str, relations: Sequence[Tuple[str, int, int]] = ()) -> Sentence:
    return Sentence(1, text.split(" "), labels.split(" "), list(relations))


def entities(s: Sentence) -> List[Tuple[str, str]]:
    return [(" ".join(s.words[a:b]), t) for a, b, t in bio_to_spans(s.labels)]


def relation_texts(s: Sentence) -> List[Tuple[str, str, str]]:
    """Relations as (label, head entity text, tail entity text)."""
    spans = {a: " ".join(s.words[a:b]) for a, b, _ in bio_to_spans(s.labels)}
    return [(label, spans[head], spans[tail]) for label, head, tail in s.relations]


def check_valid(s: Sentence) -> None:
    """What `convert` checks: BIO labels valid, relations at entity starts."""
    assert parse_labels("variant", s.line, s.labels, None) == s.labels
    line = "; ".join(f"{label}\t{head}\t{tail}" for label, head, tail in s.relations)
    assert parse_relations("variant", s.line, line, s.labels, None) == s.relations


VERSIONS = sentence(
    "R 4.0.3 with lme4 [3-5] , see http://fiji.sc .",
    "B-ProgrammingEnvironment B-Version O B-PlugIn B-Citation O O B-URL O",
    [("Version_of", 1, 0), ("PlugIn_of", 3, 0), ("Citation_of", 4, 3), ("URL_of", 7, 3)],
)


def test_versions_citations_and_urls_are_split_with_labels_and_relations_moved():
    variant = tokenization_variant(VERSIONS)
    assert " ".join(variant.words) == "R 4 . 0 . 3 with lme4 [ 3 - 5 ] , see http : / / fiji . sc ."
    assert variant.labels == (
        ["B-ProgrammingEnvironment", "B-Version"]
        + ["I-Version"] * 4
        + ["O", "B-PlugIn", "B-Citation"]
        + ["I-Citation"] * 4
        + ["O", "O", "B-URL"]
        + ["I-URL"] * 6
        + ["O"]
    )
    assert variant.relations == [("Version_of", 1, 0), ("PlugIn_of", 7, 0), ("Citation_of", 8, 7), ("URL_of", 15, 7)]
    assert relation_texts(variant) == [
        ("Version_of", "4 . 0 . 3", "R"),
        ("PlugIn_of", "lme4", "R"),
        ("Citation_of", "[ 3 - 5 ]", "lme4"),
        ("URL_of", "http : / / fiji . sc", "lme4"),
    ]
    check_valid(variant)


def test_split_pieces_of_the_corpus_are_joined():
    s = sentence(
        "SPSS Inc . , Chicago ( Pond et al . 2005 ; [ 5 , 8 ] ) v2.1",
        "B-Developer I-Developer O O O O O O O O O O B-Citation I-Citation I-Citation I-Citation I-Citation O B-Version",
        [("Citation_of", 12, 0), ("Version_of", 18, 0)],
    )  # the relations need not make sense here, only point at entity starts
    variant = tokenization_variant(s)
    assert " ".join(variant.words) == "SPSS Inc. , Chicago ( Pond et al. 2005 ; [5,8] ) v2 . 1"
    assert entities(variant) == [("SPSS Inc.", "Developer"), ("[5,8]", "Citation"), ("v2 . 1", "Version")]
    assert variant.relations == [("Citation_of", 10, 0), ("Version_of", 12, 0)]
    check_valid(variant)


def test_pieces_are_not_joined_across_an_entity_start():
    s = sentence("Acme Inc . and [ 7 ]", "B-Developer I-Developer B-Abbreviation O O B-Citation O", [("Citation_of", 5, 0)])
    variant = tokenization_variant(s)
    assert variant.words == s.words and variant.labels == s.labels and variant.relations == s.relations


def test_apply_edits_refuses_to_hide_an_entity_start():
    s = sentence("SPSS 22 .", "B-Application B-Version O", [("Version_of", 1, 0)])
    with pytest.raises(ValueError, match="would lose an entity start"):
        apply_edits(s, [Edit(0, 2, ["SPSS22"])])
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(s, [Edit(2, 3, ["a"]), Edit(2, 3, ["b"])])
    renamed = apply_edits(s, [Edit(0, 1, ["IBM", "SPSS", "Statistics"])])
    assert entities(renamed) == [("IBM SPSS Statistics", "Application"), ("22", "Version")]
    assert renamed.relations == [("Version_of", 3, 0)]


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_every_corpus_sentence_has_a_valid_variant_whose_entities_stay_within_sentences():
    sentences, _ = read_corpus_dir(SHARED_CORPUS)
    changed = 0
    for s in sentences:
        variant = tokenization_variant(s)
        check_valid(variant)
        assert [t for _, t in entities(variant)] == [t for _, t in entities(s)]
        assert [label for label, _, _ in variant.relations] == [label for label, _, _ in s.relations]
        assert ["".join(text.split(" ")) for text in map(" ".join, [variant.words])] == ["".join(s.words)]
        changed += variant.words != s.words
        # the sentencizer never cuts a gold entity: NER training needs it (spaCy's E024)
        for words, labels in ((s.words, s.labels), (variant.words, variant.labels)):
            starts = sentence_starts(words, **DEFAULT_CONFIG)
            assert not any(any(starts[a + 1 : b]) for a, b, _ in bio_to_spans(labels)), words
    assert changed > len(sentences) / 2


def test_generated_names_take_every_shape_and_avoid_the_vocabulary():
    rng = random.Random(0)
    names = [generate_name(rng) for _ in range(200)]
    shapes = {
        "camel": any(n[:1].isupper() and any(c.isupper() for c in n[1:]) and n.isalpha() for n in names),
        "caps": any(n.isupper() and n.isalpha() for n in names),
        "digits": any(n.islower() and n[-1].isdigit() for n in names),
        "hyphen": any("-" in n for n in names),
    }
    assert set(shapes) == set(SHAPES) and all(shapes.values())
    s = sentence(
        "SPSS and R with lme4 on Windows ; SPSS 22 by IBM",
        "B-Application O B-ProgrammingEnvironment O B-PlugIn O B-OperatingSystem O B-Application B-Version O B-Developer",
        [("PlugIn_of", 4, 2), ("Version_of", 9, 8), ("Developer_of", 11, 8)],
    )
    vocabulary = {w.lower() for w in s.words} | {n.lower() for n in names[:100]}
    first, again = (unseen_names_variant([s], vocabulary, seed=3)[0] for _ in range(2))
    assert first == again  # deterministic by seed
    new = [first.words[a] for a, _, _ in software_mentions(first)]
    assert len(new) == 5 and new[0] == new[4]  # the same name twice gets the same replacement
    assert not {n.lower() for n in new} & vocabulary
    assert [t for _, t in entities(first)] == [t for _, t in entities(s)]
    assert entities(first)[-2:] == [("22", "Version"), ("IBM", "Developer")]
    assert [label for label, _, _ in first.relations] == ["PlugIn_of", "Version_of", "Developer_of"]
    check_valid(first)


def examples_of(nlp, sentences: Sequence[Sentence]):
    return [gold_tokenized_example(nlp, sentence_to_doc(nlp.vocab, s)) for s in sentences]


def test_tokenization_augmenter_replaces_a_share_of_the_examples():
    nlp = spacy.blank("en")
    examples = examples_of(nlp, [VERSIONS] * 200)
    random.seed(0)
    assert all(out == [eg] for eg in examples for out in [list(create_tokenization_augmenter(0.0)(nlp, eg))])
    augment = create_tokenization_augmenter(0.3)
    augmented = [out for eg in examples for out in augment(nlp, eg)]
    assert len(augmented) == 200
    variants = [eg for eg in augmented if len(eg.reference) != len(VERSIONS.words)]
    assert 40 <= len(variants) <= 80
    for eg in variants:
        assert [t.text for t in eg.predicted] == [t.text for t in eg.reference]
        assert example_sentence(eg).words == tokenization_variant(VERSIONS).words
        check_valid(example_sentence(eg))
    with pytest.raises(ValueError, match="level"):
        create_tokenization_augmenter(1.5)


def test_rare_type_repeats_yields_sentences_of_the_types_that_often():
    nlp = spacy.blank("en")
    rare = sentence("SPSS ( also PASW ) was used .", "B-Application O O B-AlternativeName O O O O")
    common = sentence("We used Stata 15 .", "O O B-Application B-Version O", [("Version_of", 3, 2)])
    augment = create_rare_type_repeats_augmenter(["AlternativeName", "SoftwareCoreference"], repeats=3)
    rare_eg, common_eg = examples_of(nlp, [rare, common])
    assert list(augment(nlp, rare_eg)) == [rare_eg] * 3
    assert list(augment(nlp, common_eg)) == [common_eg]
    with pytest.raises(ValueError, match="repeats"):
        create_rare_type_repeats_augmenter(["AlternativeName"], repeats=0)
    with pytest.raises(ValueError, match="entity type"):
        create_rare_type_repeats_augmenter([], repeats=2)


def test_default_config_repeats_rare_type_sentences_and_varies_each_copy():
    config = load_config(CONFIGS / "default.cfg")
    augment = registry.resolve({"a": config["corpora"]["train"]["augmenter"]})["a"]
    nlp = spacy.blank("en")
    rare = sentence("SPSS 22.0 ( also PASW ) was used .", "B-Application B-Version O O B-AlternativeName O O O O", [("Version_of", 1, 0)])
    random.seed(0)
    copies = [example_sentence(eg) for _ in range(20) for eg in augment(nlp, examples_of(nlp, [rare])[0])]
    assert len(copies) == 20 * 4
    # each copy re-tokenized or not on its own ("22.0" <-> "22 . 0"), the labels kept
    assert {tuple(c.words) for c in copies} == {tuple(rare.words), tuple(tokenization_variant(rare).words)}
    assert all(entities(c)[-1] == ("PASW", "AlternativeName") for c in copies)
    assert len(list(augment(nlp, examples_of(nlp, [VERSIONS])[0]))) == 1


def test_chained_augmenters_run_in_order_on_every_output():
    nlp = spacy.blank("en")
    (example,) = examples_of(nlp, [VERSIONS])
    calls: List[str] = []

    def twice(nlp, eg):
        calls.append("twice")
        yield from (eg, eg)

    def record(name):
        def augment(nlp, eg):
            calls.append(name)
            yield eg

        return augment

    assert list(create_chain_augmenter(record("a"), twice, record("b"))(nlp, example)) == [example] * 2
    assert calls == ["a", "twice", "b", "b"]
    with pytest.raises(ValueError, match="at least one augmenter"):
        create_chain_augmenter()


# the re-tokenizing augmenter chained as in configs/default.cfg's [corpora.train] (here every
# sentence changed)
CHAINED = """
[corpora.train.augmenter]
@augmenters = "spacy_somd.chain_augmenters.v1"

[corpora.train.augmenter.*.tokenization]
@augmenters = "spacy_somd.tokenization_variants.v1"
level = 1.0
"""


def with_chained_augmenters(config: Config) -> Config:
    """``config`` with :data:`CHAINED` as its training corpus's augmenter."""
    config = config.copy()
    del config["corpora"]["train"]["augmenter"]
    return config.merge(Config().from_str("[corpora]\n[corpora.train]\n" + CHAINED))


def entity_relations(s: Sentence) -> List[Tuple[str, int, int]]:
    """Relations as (label, head entity's position, tail entity's position) in the sentence."""
    position = {a: i for i, (a, _, _) in enumerate(bio_to_spans(s.labels))}
    return [(label, position[head], position[tail]) for label, head, tail in s.relations]


def squashed(text: str) -> str:
    return text.replace(" ", "")


def test_chained_augmenters_in_the_default_config_keep_labels_and_relations_aligned(tiny_corpus, tiny_corpus_docbins):
    config = load_config(CONFIGS / "default.cfg", overrides={"paths.corpus": str(tiny_corpus_docbins)})
    config = Config().from_str(with_chained_augmenters(config).to_str())  # as written in a file
    corpora = registry.resolve(config.interpolate()["corpora"])
    random.seed(0)
    examples = list(corpora["train"](somd_blank()))
    originals = {s.line: s for s in read_corpus_dir(tiny_corpus).sentences}
    lines = [example_sentence(eg).line for eg in examples]
    assert len(examples) >= 10 and len(set(lines)) == len(lines)  # one example for one
    retokenized = 0
    for eg, line in zip(examples, lines):
        variant, original = example_sentence(eg), originals[line]
        check_valid(variant)
        assert [t.text for t in eg.predicted] == [t.text for t in eg.reference]
        assert [t for _, t in entities(variant)] == [t for _, t in entities(original)]
        assert entity_relations(variant) == entity_relations(original)
        for (new, _), (old, _) in zip(entities(variant), entities(original)):
            assert squashed(new) == squashed(old)
            retokenized += new != old
    assert retokenized >= 5  # versions, citations and URLs re-tokenized


def invoke(*args: str):
    return CliRunner().invoke(app, ["variant", *args])


@pytest.mark.parametrize("kind", ["tokenization", "unseen-names"])
def test_variant_command_writes_a_valid_fold(kind, tiny_corpus, tmp_path):
    out, docbin = tmp_path / "variant", tmp_path / "variant.spacy"
    result = invoke(str(tiny_corpus), str(out), "--kind", kind, "--fold", "2", "--docbin", str(docbin))
    assert result.exit_code == 0, result.output
    original, _ = read_corpus_dir(tiny_corpus)
    fold = [s for s in original if (s.line - 1) % 4 == 2]
    written, _ = read_corpus_dir(out)  # strict: the files are valid SOMD
    assert len(written) == len(fold) == 5
    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_NAMES.values())
    for before, after in zip(fold, written):
        assert [t for _, t in entities(after)] == [t for _, t in entities(before)]
        assert [label for label, _, _ in after.relations] == [label for label, _, _ in before.relations]
    assert any(a.words != b.words for a, b in zip(fold, written))
    docs = list(DocBin().from_disk(docbin).get_docs(spacy.blank("en").vocab))
    assert [[t.text for t in d] for d in docs] == [s.words for s in written]
    if kind == "unseen-names":
        vocabulary = {w.lower() for s in original for w in s.words}
        new = [" ".join(s.words[a:b]) for s in written for a, b, _ in software_mentions(s)]
        assert new and not {n.lower() for n in new} & vocabulary


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--kind", "shuffled"], "kind must be one of tokenization, unseen-names, not 'shuffled'"),
        (["--kind", "tokenization", "--fold", "7"], "fold (somd.fold) must be in 0..3 for n_folds 4, not 7"),
    ],
)
def test_variant_command_bad_input_is_one_line(args, problem, tiny_corpus, tmp_path):
    result = invoke(str(tiny_corpus), str(tmp_path / "out"), *args)
    assert result.exit_code == 1 and problem in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
