"""Registered data augmenters for ``[corpora.train.augmenter]`` (like spaCy's
``spacy.orth_variants.v1``): each replaces a ``level`` share of the training examples by
a variant whose tokens, BIO labels and relations stay consistent, or (``rare_type_repeats``)
repeats the sentences of rare entity types; ``chain_augmenters`` runs several of them on
every example, one after the other.

Randomness comes from Python's ``random`` module, which `spacy train` seeds."""

import random
from typing import Callable, Iterable, Iterator, List

from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from spacy_somd.corpus.docs import doc_bio, sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.corpus.retokenization import tokenization_variant
from spacy_somd.labels import LINE_ATTR, RELATIONS_ATTR
from spacy_somd.training.reader import gold_tokenized_example

AugmenterFn = Callable[[Language, Example], Iterator[Example]]


def check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], not {value}")


def example_sentence(example: Example) -> Sentence:
    """The reference of an Example as a labelled :class:`Sentence`."""
    doc = example.reference
    relations = [(r["label"], r["head"], r["tail"]) for r in doc._.get(RELATIONS_ATTR) or []]
    return Sentence(doc._.get(LINE_ATTR) or 0, [t.text for t in doc], doc_bio(doc), relations)


def sentence_example(nlp: Language, example: Example, sentence: Sentence) -> Example:
    """A gold-tokenized Example of ``sentence``, keeping the original reference's cats."""
    reference = sentence_to_doc(nlp.vocab, sentence)
    reference.cats = dict(example.reference.cats)
    return gold_tokenized_example(nlp, reference)


@registry.augmenters("spacy_somd.tokenization_variants.v1")
def create_tokenization_augmenter(level: float) -> AugmenterFn:
    """Writes a ``level`` share of the sentences in the other tokenization style ("2.2.1"
    <-> "2 . 2 . 1", "[5,8]" <-> "[ 5 , 8 ]", URLs split at punctuation, "Inc ." <-> "Inc.")."""
    check_share("level (tokenization_variants)", level)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        if random.random() >= level:
            yield example
        else:
            yield sentence_example(nlp, example, tokenization_variant(example_sentence(example)))

    return augment


@registry.augmenters("spacy_somd.rare_type_repeats.v1")
def create_rare_type_repeats_augmenter(types: List[str], repeats: int) -> AugmenterFn:
    """Yields a sentence ``repeats`` times when it holds an entity of one of ``types`` (the
    rarest in the training data), once otherwise: those types get as many more updates.
    Put it first in a chain so that the other augmenters vary each copy; spaCy shuffles the
    training examples of every epoch, so the copies are spread over it."""
    if repeats < 1:
        raise ValueError(f"repeats (rare_type_repeats) must be 1 or more, not {repeats}")
    if not types:
        raise ValueError("rare_type_repeats needs at least one entity type")
    wanted = set(types)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        copies = repeats if any(ent.label_ in wanted for ent in example.reference.ents) else 1
        for _ in range(copies):
            yield example

    return augment


def apply_augmenter(augmenter: AugmenterFn, nlp: Language, examples: Iterable[Example]) -> Iterator[Example]:
    """Every example that ``augmenter`` yields for each of ``examples``."""
    for example in examples:
        yield from augmenter(nlp, example)


@registry.augmenters("spacy_somd.chain_augmenters.v1")
def create_chain_augmenter(*augmenters: AugmenterFn) -> AugmenterFn:
    """The ``augmenters`` applied in sequence, like the steps of spaCy's
    ``combined_augmenter``: every example the first yields goes through the second, and
    so on, so each example can be changed by each augmenter (an augmenter that yields one
    example for one, as this package's do, keeps the corpus size). In a config, one
    positional ``[corpora.train.augmenter.*.NAME]`` section per augmenter, in order."""
    if not augmenters:
        raise ValueError("chain_augmenters needs at least one augmenter")

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        examples: Iterable[Example] = [example]
        for augmenter in augmenters:
            examples = apply_augmenter(augmenter, nlp, examples)
        yield from examples

    return augment
