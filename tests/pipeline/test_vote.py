"""The vote of several pipelines (``spacy_somd.pipeline.vote``): the vote itself and the
``somd_vote`` component (sentences, saving, scoring, members refused, annotate)."""

import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.vocab import Vocab

from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.vote.majority import set_vote
from spacy_somd.pipeline.vote.pipe import SeedVote, assemble_ensemble
from tests.builders import somd_blank
from tests.builders.pipeline import VOTE_TEXT, VOTE_WORDS, ruler_pipeline, vote_member, voted


def blank_doc(words=VOTE_WORDS) -> Doc:
    return Doc(Vocab(), words=words)


def test_vote_takes_types_boundaries_and_relations_by_majority_and_categories_by_mean():
    a = vote_member([(2, 4, "Application"), (5, 6, "Version"), (7, 8, "ProgrammingEnvironment")], [(5, 2, "Version_of")], {"SOFTWARE": 1.0})
    b = vote_member([(2, 3, "Application"), (3, 4, "Application"), (5, 6, "Version")], [(5, 2, "Version_of"), (7, 2, "PlugIn_of")], {"SOFTWARE": 0.5})
    c = vote_member([(2, 4, "Application"), (7, 8, "Application")], [(7, 2, "PlugIn_of")], {"SOFTWARE": 0.0})
    doc = set_vote(blank_doc(), [a, b, c])
    # "Statistics": 2 of 3 continue the entity; "25": Version by 2 of 3; "R": one vote for
    # each of two types and one for none, a tie: no entity
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(2, 4, "Application"), (5, 6, "Version")]
    # Version_of by 2 of 3; PlugIn_of by 2 of 3, but its head "R" is no voted entity
    assert doc._.get(RELATIONS_ATTR) == [{"head": 5, "tail": 2, "label": "Version_of", "score": pytest.approx(0.6)}]
    assert doc.cats == {"SOFTWARE": 0.5}
    assert [t.text for t in doc] == VOTE_WORDS and doc[0].is_sent_start and not doc[3].is_sent_start


def test_vote_splits_a_run_where_most_members_begin_an_entity():
    a = vote_member([(2, 3, "Application"), (3, 4, "Application")], [], {})
    b = vote_member([(2, 3, "Application"), (3, 4, "Application")], [], {})
    c = vote_member([(2, 4, "Application")], [], {})
    assert [(e.start, e.end) for e in set_vote(blank_doc(), [a, b, c]).ents] == [(2, 3), (3, 4)]


def test_vote_refuses_members_with_other_tokens_and_no_members():
    other = vote_member([], [], {}, words=VOTE_WORDS[:-2] + ["R."])
    with pytest.raises(ValueError, match="member 1 tokenized"):
        set_vote(blank_doc(), [vote_member([], [], {}), other])
    with pytest.raises(ValueError, match="no member"):
        set_vote(blank_doc(), [])


def test_component_votes_over_its_members_and_sets_sentences(members):
    nlp = assemble_ensemble(members)
    assert nlp.pipe_names == ["somd_vote"]
    ents, sents = voted(nlp)
    assert ents == [("SPSS", "Application"), ("25", "Version"), ("Stata", "Application")]
    assert sents == ["We used SPSS version 25 and Stata .", "Then we stopped ."]
    assert nlp("We used SPSS .")._.get(RELATIONS_ATTR) == []
    batched = list(nlp.pipe([VOTE_TEXT, "Stata 14 .", ""], batch_size=2))
    assert [[e.text for e in doc.ents] for doc in batched] == [["SPSS", "25", "Stata"], ["Stata", "14"], []]


def test_component_saves_and_loads_its_members(members, tmp_path):
    nlp = assemble_ensemble(members, name="somd_vote_test")
    nlp.to_disk(tmp_path / "ensemble")
    assert sorted(p.name for p in (tmp_path / "ensemble" / "somd_vote").iterdir()) == ["member0", "member1", "member2"]
    loaded = spacy.load(tmp_path / "ensemble")
    assert voted(loaded) == voted(nlp)
    assert loaded.meta["name"] == "somd_vote_test" and len(loaded.meta["ensemble"]) == 3
    from_bytes = assemble_ensemble(members[:2])
    from_bytes.get_pipe("somd_vote").from_bytes(nlp.get_pipe("somd_vote").to_bytes())
    assert voted(from_bytes) == voted(nlp)


def test_component_scores_as_its_first_member(members):
    nlp = assemble_ensemble(members)
    reference = Doc(nlp.vocab, words=VOTE_TEXT.split(" "))
    reference.ents = [Span(reference, 2, 3, "Application"), Span(reference, 4, 5, "Version"), Span(reference, 6, 7, "Application")]
    scores = nlp.evaluate([Example(nlp.make_doc(VOTE_TEXT), reference)])
    assert scores["ents_f"] == 1.0 and scores["ents_per_type"]["Version"]["f"] == 1.0
    single = members[1].evaluate([Example(members[1].make_doc(VOTE_TEXT), reference)])
    assert single["ents_f"] < 1.0  # member 1 misses "Stata": the vote is scored, not member 0


def test_component_refuses_unlike_members_and_too_few(members, tmp_path):
    vote = SeedVote(Vocab())
    vote.add_member(members[0])
    with pytest.raises(ValueError, match="two or more"):
        list(vote.pipe([blank_doc()]))
    other_tokenizer = spacy.blank("en")
    other_tokenizer.add_pipe("somd_sentencizer", name="sentencizer")
    other_tokenizer.add_pipe("entity_ruler")
    with pytest.raises(ValueError, match="member 1's tokenizer"):
        vote.add_member(other_tokenizer)
    fewer = somd_blank()
    fewer.add_pipe("somd_sentencizer", name="sentencizer")
    with pytest.raises(ValueError, match="member 1 has the components"):
        vote.add_member(fewer)
    other_labels = ruler_pipeline("^S", {"LOWER": "version"})
    other_labels.get_pipe("entity_ruler").add_patterns([{"label": "URL", "pattern": "http"}])
    with pytest.raises(ValueError, match="other labels"):
        vote.add_member(other_labels)
    with pytest.raises(ValueError, match="two or more"):
        assemble_ensemble(members[:1])
    nlp = assemble_ensemble(members)
    nlp.to_disk(tmp_path / "ensemble")
    (tmp_path / "ensemble" / "somd_vote" / "member1").rename(tmp_path / "ensemble" / "somd_vote" / "member7")
    with pytest.raises(ValueError, match="no member1"):
        spacy.load(tmp_path / "ensemble")


@pytest.mark.slow
def test_a_vote_of_one_trained_pipeline_twice_is_that_pipeline(default_pipeline, tmp_path):
    from spacy_somd.release.packaging import requirements, sources, training_data_description

    single = spacy.load(default_pipeline)
    nlp = assemble_ensemble([spacy.load(default_pipeline), spacy.load(default_pipeline)])
    nlp.to_disk(tmp_path / "ensemble")
    nlp = spacy.load(tmp_path / "ensemble")
    texts = ["We used SPSS version 22 ( IBM ) and R 4.0.3 .", "Analyses ran in Stata 14 [ 12 ] . Plots used ggplot2 ."]
    for alone, voted_doc in zip(single.pipe(texts), nlp.pipe(texts)):
        assert [(e.start, e.end, e.label_) for e in voted_doc.ents] == [(e.start, e.end, e.label_) for e in alone.ents]
        key = [(r["head"], r["tail"], r["label"]) for r in alone._.get(RELATIONS_ATTR)]
        assert [(r["head"], r["tail"], r["label"]) for r in voted_doc._.get(RELATIONS_ATTR)] == key
        assert voted_doc.cats == pytest.approx(alone.cats)
        assert [s.start for s in voted_doc.sents] == [s.start for s in alone.sents]
    assert sources(nlp) == sources(single) and requirements(nlp) == requirements(single)
    assert training_data_description(nlp.config) == training_data_description(single.config) != ""
    assert nlp.config["somd"]["package_name"] == single.config["somd"]["package_name"] + "_vote"


def test_annotate_runs_a_vote(members, tmp_path):
    import json

    from typer.testing import CliRunner

    from spacy_somd.cli import app

    assemble_ensemble(members).to_disk(tmp_path / "vote")
    records = tmp_path / "records.jsonl"
    records.write_text('{"id": 1, "text": "We used SPSS version 25 and Stata."}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", str(tmp_path / "vote"), str(records), str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (tmp_path / "out.jsonl" / "part-000000.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["text"], e["label"]) for e in record["entities"]] == [("SPSS", "Application"), ("25", "Version"), ("Stata", "Application")]
