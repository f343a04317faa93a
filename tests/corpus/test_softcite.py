import json

import pytest
import spacy

from spacy_somd.corpus.softcite import article_split, lookalike_score, mention_free_sentences, negative_docs, read_contexts, select_negatives
from spacy_somd.labels import LINE_ATTR
from tests.builders.softcite import GENE, PLAIN, SPSS, article_ids, sentence, small_contexts, span, write_contexts


def test_the_split_is_fixed_by_the_article_id_and_a_fifth_is_test():
    ids = [f"PMC{n}" for n in range(5000)]
    splits = [article_split(i) for i in ids]
    assert splits == [article_split(i) for i in ids]
    assert 0.18 < splits.count("test") / len(ids) < 0.22
    assert 0.08 < splits.count("dev") / len(ids) < 0.12


def test_read_contexts_reads_spans_and_keeps_only_the_splits_asked_for(tmp_path):
    path = small_contexts(tmp_path / "contexts.json.gz")
    train = list(read_contexts(path, splits=("train",)))
    assert [a.id for a in train] == article_ids("train", 2)
    mentions = train[0].sentences[0].mentions
    assert [(SPSS[m.start : m.end], m.type) for m in mentions] == [("SPSS", "software"), ("22", "version"), ("IBM", "publisher")]
    assert mentions[0].used is True and mentions[0].contribution is False and mentions[1].used is None
    assert len(list(read_contexts(path))) == 6
    folder = tmp_path / "softcite"
    folder.mkdir()
    small_contexts(folder / "software-contexts.json.gz")
    assert [a.id for a in read_contexts(folder, splits=("test",))] == article_ids("test", 2)


@pytest.mark.parametrize(
    "item,message",
    [
        ({"text": "abc", "entity_spans": [{"id": "T1", "start": 2, "end": 9, "type": "software"}]}, "is not inside the sentence"),
        ({"text": "abc", "entity_spans": [{"id": "T1", "start": 0, "end": 1, "type": "gene"}]}, "has the type 'gene'"),
        ({"text": "abc", "entity_spans": [{"id": "T1", "start": 0, "end": 1, "type": "url", "rawForm": "b"}]}, "says 'b' but covers 'a'"),
        ({"entity_spans": []}, "no text"),
    ],
)
def test_a_bad_span_names_the_file_the_article_and_the_sentence(tmp_path, item, message):
    path = write_contexts(tmp_path / "c.json", [{"pmcid": "PMC7", "texts": [{"text": "fine"}, item]}])
    with pytest.raises(ValueError, match=message) as err:
        list(read_contexts(path))
    assert str(err.value).startswith(f"{path}: PMC7, sentence 2")


def test_a_file_that_is_not_a_contexts_file_is_one_error(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"docs": []}))
    with pytest.raises(ValueError, match="not a Softcite contexts file"):
        list(read_contexts(tmp_path / "c.json"))
    with pytest.raises(FileNotFoundError, match="software-contexts.json.gz"):
        list(read_contexts(tmp_path / "nowhere"))
    write_contexts(tmp_path / "d.json", [{"texts": []}])
    with pytest.raises(ValueError, match="document 1 has no pmcid"):
        list(read_contexts(tmp_path / "d.json"))


def test_mention_free_sentences_leave_out_unknown_spans_and_letterless_lines(tmp_path):
    text = "We used MATLAB for this."
    path = write_contexts(
        tmp_path / "c.json", [{"pmcid": "PMC1", "texts": [sentence(text, span(text, "MATLAB", "unknown")), sentence("12 34 ."), sentence(PLAIN)]}]
    )
    assert mention_free_sentences(read_contexts(path)) == [("PMC1", 2, PLAIN)]


def test_lookalike_selection_takes_the_sentences_that_look_like_software_first():
    plain = [("A", i, f"the mice were fed {i} times") for i in range(10)]
    hard = ("B", 0, GENE)
    assert lookalike_score(GENE) > lookalike_score(PLAIN) == 0
    chosen = select_negatives([*plain, hard], 2, "lookalike", seed=0)
    assert hard in chosen and len(chosen) == 2
    randomly = select_negatives([*plain, hard], 4, "random", seed=3)
    assert randomly == select_negatives([*plain, hard], 4, "random", seed=3) and len(randomly) == 4
    assert select_negatives(plain, 50, "random", 0) == plain
    with pytest.raises(ValueError, match="selection must be one of random, lookalike"):
        select_negatives(plain, 2, "hardest", 0)


def test_negative_docs_are_gold_outside_everywhere_and_numbered_on():
    nlp = spacy.blank("en")
    docs = negative_docs(nlp, [("A", 0, PLAIN), ("A", 1, GENE)], first_line=101)
    assert [d._.get(LINE_ATTR) for d in docs] == [101, 102]
    assert all(token.ent_iob_ == "O" for doc in docs for token in doc) and not any(doc.ents for doc in docs)
