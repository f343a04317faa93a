"""SOMD sentences <-> Docs: a DocBin round trip keeps tokens, entities and relations."""

import spacy

from spacy_somd.corpus.docs import doc_to_lines
from spacy_somd.corpus.folds import fold_docbins, read_fold_docs
from spacy_somd.corpus.format import read_corpus_dir
from tests.builders.corpus import ENTITIES, RELATIONS, TEXTS, write_lines


def test_docbin_round_trip_keeps_everything(tmp_path):
    sentences, _ = read_corpus_dir(write_lines(tmp_path))
    nlp = spacy.blank("en")
    bins = fold_docbins(nlp.vocab, sentences, 4)
    for k, docbin in enumerate(bins):
        docbin.to_disk(tmp_path / f"fold{k}.spacy")
    docs = read_fold_docs(tmp_path, nlp.vocab, 4, range(4))
    assert [doc_to_lines(d) for d in docs] == list(zip(TEXTS, ENTITIES, RELATIONS))
    assert [d._.somd_line for d in docs] == [1, 2, 3, 4, 5]
    citation = [e for e in docs[2].ents if e.label_ == "Citation"][0]
    assert citation.text == "[ 12 ]"
