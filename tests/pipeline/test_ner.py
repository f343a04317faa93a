"""The ``somd_ner`` pipe: spaCy's EntityRecognizer whose greedy prediction decodes a
batch in array steps. It must find exactly the entities spaCy's own decoder finds."""

import random
from typing import List, Tuple

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import Config

from spacy_somd.pipeline.ner.decoder import move_table
from spacy_somd.pipeline.ner.pipe import SomdEntityRecognizer

LABELS = ["Application", "Version", "Developer", "URL"]
CONFIG = """
[nlp]
lang = "en"
pipeline = ["ner"]

[components]

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 16
maxout_pieces = 2
use_upper = false

[components.ner.model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 16
depth = 1
embed_size = 500
window_size = 1
maxout_pieces = 2
subword_features = true
"""


def ner_pair(factory: str = "somd_ner", **model) -> Tuple[Language, Language]:
    """A randomly initialised spaCy NER and the same weights loaded into ``factory``; the
    lower layer's weights scaled up so that every kind of move wins somewhere."""
    config = Config().from_str(CONFIG)
    config["components"]["ner"]["model"].update(model)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    ner = nlp.get_pipe("ner")
    for label in LABELS:
        ner.add_label(label)
    words = ["a", "b", "c"]
    nlp.initialize(lambda: [Example.from_dict(Doc(nlp.vocab, words=words), {"entities": ["U-Application", "O", "O"]})])
    lower = ner.model.get_ref("lower")
    lower.set_param("W", lower.get_param("W") * 40)
    config["components"]["ner"]["factory"] = factory
    other = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    return nlp, other.from_bytes(nlp.to_bytes())


def random_docs(vocab, seed: int, n: int = 60) -> List[Doc]:
    """Docs of 0 to 40 tokens, some white space, random sentence starts."""
    rng = random.Random(seed)
    words = ["Python", "3.8", "by", "PSF", "http://x.org", "(", ")", ",", "the", "tool", "SPSS", "v2"]
    docs = []
    for _ in range(n):
        length = rng.choice([0, 1, 2, 3, rng.randint(4, 40)])
        tokens = [rng.choice(words + [" ", "\n"] if rng.random() < 0.2 else words) for _ in range(length)]
        starts = [True] + [rng.random() < 0.15 for _ in range(length - 1)] if length else []
        docs.append(Doc(vocab, words=tokens, sent_starts=starts))
    return docs


def annotations(docs: List[Doc]):
    return [([(e.start, e.end, e.label_) for e in doc.ents], [t.ent_iob_ for t in doc]) for doc in docs]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_entities_as_spacys_decoder(seed):
    spacy_nlp, somd_nlp = ner_pair()
    docs = random_docs(spacy_nlp.vocab, seed)
    expected = annotations(list(spacy_nlp.pipe(Doc(d.vocab, words=[t.text for t in d], sent_starts=[t.is_sent_start for t in d]) for d in docs)))
    assert isinstance(somd_nlp.get_pipe("ner"), SomdEntityRecognizer)
    assert somd_nlp.get_pipe("ner").decodes_in_batch(docs)
    got = annotations(list(somd_nlp.pipe(docs, batch_size=16)))
    assert got == expected
    entities = [entity for ents, _ in got for entity in ents]
    assert any(end - start == 1 for start, end, _ in entities) and any(end - start > 2 for start, end, _ in entities)
    assert {label for _, _, label in entities} == set(LABELS)


def test_classes_added_after_training_score_lowest_as_in_spacy():
    spacy_nlp, somd_nlp = ner_pair()
    for nlp in (spacy_nlp, somd_nlp):
        ner = nlp.get_pipe("ner")
        ner.add_label("License")  # resizes the output: the new moves are unseen
        unseen = sorted(ner.model.attrs["unseen_classes"])
        assert len(unseen) == 4
        lower = ner.model.get_ref("lower")
        weights = lower.get_param("W").copy()
        weights[:, unseen] = numpy.random.default_rng(0).normal(0, 50, weights[:, unseen].shape)  # they would win unmasked
        lower.set_param("W", weights)
    docs = random_docs(spacy_nlp.vocab, 6)
    copies = [Doc(d.vocab, words=[t.text for t in d], sent_starts=[t.is_sent_start for t in d]) for d in docs]
    assert somd_nlp.get_pipe("ner").decodes_in_batch(docs)
    assert annotations(list(somd_nlp.pipe(docs))) == annotations(list(spacy_nlp.pipe(copies)))


def test_entities_respect_white_space_and_sentence_starts():
    _, somd_nlp = ner_pair()
    for doc in somd_nlp.pipe(random_docs(somd_nlp.vocab, 3, n=200)):
        for ent in doc.ents:
            assert not ent[0].is_space and all(not token.is_sent_start for token in ent[1:])


@pytest.mark.parametrize("model", [{"use_upper": True}, {"extra_state_tokens": True}])
def test_other_models_fall_back_to_spacys_decoder(model):
    spacy_nlp, somd_nlp = ner_pair(**model)
    docs = random_docs(spacy_nlp.vocab, 4)
    assert not somd_nlp.get_pipe("ner").decodes_in_batch(docs)
    copies = [Doc(d.vocab, words=[t.text for t in d], sent_starts=[t.is_sent_start for t in d]) for d in docs]
    assert annotations(list(somd_nlp.pipe(docs))) == annotations(list(spacy_nlp.pipe(copies)))


def test_preset_entities_fall_back_to_spacys_decoder():
    spacy_nlp, somd_nlp = ner_pair()
    made = []
    for nlp in (spacy_nlp, somd_nlp):
        doc = Doc(nlp.vocab, words=["SPSS", "by", "IBM", "the", "tool", "Python", "3.8"])
        doc.set_ents([Span(doc, 2, 3, "Developer")], default="unmodified")
        made.append(doc)
    assert not somd_nlp.get_pipe("ner").decodes_in_batch(made[1:])
    expected, got = annotations([spacy_nlp.get_pipe("ner")(made[0])]), annotations([somd_nlp.get_pipe("ner")(made[1])])
    assert got == expected and (2, 3, "Developer") in got[0][0]


def test_empty_docs_only():
    _, somd_nlp = ner_pair()
    docs = list(somd_nlp.pipe([Doc(somd_nlp.vocab, words=[]) for _ in range(3)]))
    assert [list(doc.ents) for doc in docs] == [[], [], []]


def test_move_table_keeps_spacys_hidden_unit_move():
    _, somd_nlp = ner_pair()
    ner = somd_nlp.get_pipe("ner")
    names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
    assert "U-" in names and "U-" not in ner.move_names  # so move_names would shift the classes after it
    table = move_table(names)
    assert len(table.kinds) == ner.model.get_ref("lower").get_dim("nO")
    assert table.names[int(table.labels[names.index("U-")])] == "" and table.names[int(table.labels[names.index("L-URL")])] == "URL"
    with pytest.raises(ValueError, match="not a BILUO move"):
        move_table(["X-Application"])


def test_saved_somd_ner_loads_as_spacys_ner_and_back(tmp_path):
    spacy_nlp, somd_nlp = ner_pair()
    somd_nlp.to_disk(tmp_path / "somd")
    as_spacy = spacy.load(tmp_path / "somd", config={"components": {"ner": {"factory": "ner"}}})
    assert type(as_spacy.get_pipe("ner")).__name__ == "EntityRecognizer"
    reloaded = spacy.load(tmp_path / "somd")
    assert isinstance(reloaded.get_pipe("ner"), SomdEntityRecognizer)
    docs = random_docs(spacy_nlp.vocab, 5)
    texts = [[t.text for t in d] for d in docs]
    results = [annotations([nlp(Doc(nlp.vocab, words=w)) for w in texts]) for nlp in (as_spacy, reloaded)]
    assert results[0] == results[1]
    assert numpy.array_equal(as_spacy.get_pipe("ner").model.get_ref("lower").get_param("W"), somd_nlp.get_pipe("ner").model.get_ref("lower").get_param("W"))
