"""The training augmenters (``spacy_somd.training.augmenters``): tokenization variants,
rare-type repeats, chains in order, labels and relations kept aligned in the default config."""

import random
from typing import List, Sequence, Tuple

import pytest
import spacy
from spacy.util import load_config, registry
from thinc.api import Config

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence, bio_to_spans, read_corpus_dir
from spacy_somd.corpus.retokenization import tokenization_variant
from spacy_somd.training.augmenters import create_chain_augmenter, create_rare_type_repeats_augmenter, create_tokenization_augmenter, example_sentence
from spacy_somd.training.reader import gold_tokenized_example
from tests.builders import CONFIGS, somd_blank
from tests.builders.corpus import VERSIONS, check_valid, sentence_entities, somd_sentence


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
    rare = somd_sentence("SPSS ( also PASW ) was used .", "B-Application O O B-AlternativeName O O O O")
    common = somd_sentence("We used Stata 15 .", "O O B-Application B-Version O", [("Version_of", 3, 2)])
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
    rare = somd_sentence("SPSS 22.0 ( also PASW ) was used .", "B-Application B-Version O O B-AlternativeName O O O O", [("Version_of", 1, 0)])
    random.seed(0)
    copies = [example_sentence(eg) for _ in range(20) for eg in augment(nlp, examples_of(nlp, [rare])[0])]
    assert len(copies) == 20 * 4
    # each copy re-tokenized or not on its own ("22.0" <-> "22 . 0"), the labels kept
    assert {tuple(c.words) for c in copies} == {tuple(rare.words), tuple(tokenization_variant(rare).words)}
    assert all(sentence_entities(c)[-1] == ("PASW", "AlternativeName") for c in copies)
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
        assert [t for _, t in sentence_entities(variant)] == [t for _, t in sentence_entities(original)]
        assert entity_relations(variant) == entity_relations(original)
        for (new, _), (old, _) in zip(sentence_entities(variant), sentence_entities(original)):
            assert squashed(new) == squashed(old)
            retokenized += new != old
    assert retokenized >= 5  # versions, citations and URLs re-tokenized
