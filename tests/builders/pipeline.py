"""Pipeline builders: ensemble members and rule pipelines for the vote, and the tiny
corpus as docs and examples for the relation extractor."""

import random
from typing import List

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.vocab import Vocab

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from tests.builders import somd_blank, tiny_rows

VOTE_WORDS = ["We", "used", "SPSS", "Statistics", "version", "25", "and", "R", "."]


def vote_member(ents, relations, cats, words=VOTE_WORDS):
    """A doc as one ensemble member annotated it: (start, end, label) entities, (head, tail,
    label) relations."""
    ensure_extensions()
    doc = Doc(Vocab(), words=words, sent_starts=[True] + [False] * (len(words) - 1))
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
    doc._.set(RELATIONS_ATTR, [{"head": h, "tail": t, "label": label, "score": 0.9} for h, t, label in relations])
    doc.cats = cats
    return doc


def ruler_pipeline(application: str, version: dict) -> Language:
    """A member: the SOMD tokenizer and sentences, an entity ruler whose Application
    pattern is the regex ``application`` and whose Version pattern is ``version``."""
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "Application", "pattern": [{"TEXT": {"REGEX": application}}]}, {"label": "Version", "pattern": [version]}])
    return nlp


VOTE_TEXT = "We used SPSS version 25 and Stata . Then we stopped ."


def voted(nlp: Language, text: str = VOTE_TEXT):
    doc = nlp(text)
    return [(e.text, e.label_) for e in doc.ents], [s.text for s in doc.sents]


def tiny_docs(nlp: Language) -> List[Doc]:
    return [sentence_to_doc(nlp.vocab, Sentence(i + 1, words, labels, rels)) for i, (words, labels, rels) in enumerate(tiny_rows())]


def gold_entity_examples(nlp: Language, docs: List[Doc]) -> List[Example]:
    """Examples whose predicted docs carry the gold entities (no NER in the pipeline)."""
    examples = []
    for doc in docs:
        predicted = nlp.make_doc(doc.text)
        predicted.ents = [predicted.char_span(e.start_char, e.end_char, label=e.label_) for e in doc.ents]
        examples.append(Example(predicted, doc))
    return examples


def train_relations(nlp: Language, examples: List[Example], epochs: int, seed: int = 0) -> None:
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        examples = rng.sample(examples, len(examples))
        for start in range(0, len(examples), 4):
            nlp.update(examples[start : start + 4], sgd=optimizer)


def doc_with_entities(words: List[str], ents: List[tuple]) -> Doc:
    doc = Doc(spacy.blank("en").vocab, words=words)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc


# a tok2vec small enough for a pipe's tests to train in seconds
TINY_TOK2VEC = {
    "@architectures": "spacy.HashEmbedCNN.v2",
    "pretrained_vectors": None,
    "width": 32,
    "depth": 1,
    "embed_size": 500,
    "window_size": 1,
    "maxout_pieces": 3,
    "subword_features": True,
}
