"""spacy_somd.CasedTok2Vec.v1: the transformer listener beside case and shape features, as
the tok2vec of `ner` (trained, predicting, saved and loaded) and of all three components
of configs/default.cfg (a tiny training)."""
import shutil
from pathlib import Path
from typing import List

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import load_config, load_model_from_config
from test_augmentation import with_chained_augmenters
from thinc.api import Adam, Config, Model

from conftest import CONFIGS, spacy_train, tiny_rows
from spacy_somd.corpus import Sentence, gold_tokenized_example, sentence_to_doc

# the tok2vec of a component in configs/default.cfg, as the README shows
CASED_TOK2VEC = """
[tok2vec]
@architectures = "spacy_somd.CasedTok2Vec.v1"
width = 24
maxout_pieces = 3

[tok2vec.tok2vec]
@architectures = "spacy-transformers.TransformerListener.v1"
grad_factor = 1.0
upstream = "*"

[tok2vec.tok2vec.pooling]
@layers = "reduce_mean.v1"

[tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 16
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = [500,100,250,250]
include_static_vectors = false
"""
WIDTH = Config().from_str(CASED_TOK2VEC)["tok2vec"]["width"]
COMPONENTS = ("ner", "somd_relation_extractor", "somd_textcat")


@pytest.fixture(scope="module")
def tiny_uncased_bert(tiny_bert, tmp_path_factory) -> Path:
    """The tiny BERT with a lower-casing tokenizer, like all-MiniLM-L6-v2's."""
    from transformers import BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_uncased_bert") / "bert"
    shutil.copytree(tiny_bert, folder)
    tokenizer = BertTokenizerFast.from_pretrained(tiny_bert, do_lower_case=True)
    tokenizer.save_pretrained(folder)
    assert tokenizer("We used SPSS")["input_ids"] == tokenizer("we used spss")["input_ids"]
    return folder


def default_config(backbone: Path) -> Config:
    """configs/default.cfg on ``backbone`` with the cased tok2vec in every component."""
    config = load_config(CONFIGS / "default.cfg", overrides={"paths.backbone": str(backbone)})
    tok2vec = Config().from_str(CASED_TOK2VEC)["tok2vec"]
    for name in COMPONENTS:
        config["components"][name]["model"]["tok2vec"] = tok2vec
    return config


def tiny_examples(nlp: Language) -> List[Example]:
    docs = [sentence_to_doc(nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    return [gold_tokenized_example(nlp, doc) for doc in docs]


def cased_layer(nlp: Language, component: str) -> Model:
    (layer,) = [node for node in nlp.get_pipe(component).model.walk() if node.name == "cased_tok2vec"]
    return layer


@pytest.fixture(scope="module")
def ner_pipeline(tiny_uncased_bert) -> Language:
    """The transformer and `ner` of configs/default.cfg, `ner` on the cased tok2vec,
    initialized on the tiny corpus."""
    config = default_config(tiny_uncased_bert)
    config["nlp"]["pipeline"] = ["transformer", "ner"]
    config["components"] = {name: config["components"][name] for name in ("transformer", "ner")}
    spacy.util.fix_random_seed(0)
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    nlp.initialize(lambda: tiny_examples(nlp))
    return nlp


def vectors(layer: Model, nlp: Language, texts: List[str]) -> List[numpy.ndarray]:
    return [layer.ops.to_numpy(v) for v in layer.predict(list(nlp.get_pipe("transformer").pipe(nlp.make_doc(t) for t in texts)))]


def test_cased_tok2vec_in_ner_trains_predicts_saves_and_loads(ner_pipeline, tiny_uncased_bert, tmp_path):
    nlp = ner_pipeline
    layer = cased_layer(nlp, "ner")
    assert layer.get_dim("nO") == WIDTH
    tables = [node for node in layer.get_ref("embed").walk() if node.name == "hashembed"]
    tables_before = [table.get_param("E").copy() for table in tables]
    examples = tiny_examples(nlp)
    optimizer = Adam(0.001)  # the config's schedule starts at 0 and steps only in `spacy train`
    for _ in range(3):
        losses = nlp.update(examples, sgd=optimizer)
        assert losses["ner"] > 0 and numpy.isfinite(losses["ner"])
    # the gradient reaches the case and shape features
    assert len(tables) == 4 and all(not numpy.array_equal(t.get_param("E"), before) for t, before in zip(tables, tables_before))
    texts = ["We used SPSS version 22 ( IBM ) .", "", "Analyses were run in R 4.1.2 ."]
    (first, empty, last) = vectors(layer, nlp, texts)
    assert first.shape == (9, WIDTH) and empty.shape == (0, WIDTH) and last.shape == (7, WIDTH)
    predicted = [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert [[(e.start, e.end, e.label_) for e in doc.ents] for doc in loaded.pipe(texts)] == predicted
    loaded_layer = cased_layer(loaded, "ner")
    assert loaded_layer.get_dim("nO") == WIDTH
    for before, after in zip(vectors(layer, nlp, texts), vectors(loaded_layer, loaded, texts)):
        numpy.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)


def test_case_changes_the_vectors_that_the_uncased_transformer_gives_alike(ner_pipeline):
    layer = cased_layer(ner_pipeline, "ner")
    texts = ["We used SPSS version 22 .", "we used spss Version 22 ."]
    contextual = vectors(layer.get_ref("tok2vec"), ner_pipeline, texts)
    numpy.testing.assert_allclose(*contextual, atol=1e-5)  # equal up to float rounding: packed side by side
    assert contextual[0].any()
    cased = vectors(layer, ner_pipeline, texts)
    differ = numpy.abs(cased[0] - cased[1]).max(axis=1) > 1e-4
    assert differ.tolist() == [True, False, True, True, False, False]


@pytest.mark.slow
def test_default_config_trains_with_the_cased_tok2vec_and_chained_augmenters(tiny_corpus_docbins, tiny_uncased_bert, tmp_path):
    config = with_chained_augmenters(default_config(tiny_uncased_bert))
    config.to_disk(tmp_path / "cased.cfg")
    model = spacy_train(str(tmp_path / "cased.cfg"), tmp_path / "out", tiny_corpus_docbins)
    nlp = spacy.load(model)
    assert [cased_layer(nlp, name).get_dim("nO") for name in COMPONENTS] == [WIDTH] * 3
    doc = nlp("We used SPSS version 22 ( IBM ) for the analysis .")
    assert set(doc.cats) == {"SOFTWARE", "APPLICATION", "PLUGIN", "PROGRAMMING_ENVIRONMENT", "OPERATING_SYSTEM"}
