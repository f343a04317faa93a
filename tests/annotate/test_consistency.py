"""Document-level consistency on records built by the test: names propagated at word
boundaries where nothing was found, one-off common words dropped with their relations."""

from typing import Any, Dict, List

from spacy_somd.annotate.consistency import apply_document


def record(text: str, names: List[str], id_: str) -> Dict[str, Any]:
    entities = []
    for name in names:
        start = text.index(name)
        entities.append({"text": name, "label": "Application", "start": start, "end": start + len(name), "start_token": 0, "end_token": 1, "sentence": 0})
    return {"id": id_, "sentences": [{"start": 0, "end": len(text), "cats": {}}], "entities": entities, "relations": []}


def test_a_name_is_propagated_at_word_boundaries_only():
    texts = ["We used FreeSurfer 6.", "FreeSurfer outputs and FreeSurfers and xFreeSurfer were checked.", "Nothing."]
    records = [record(texts[0], ["FreeSurfer"], "a"), record(texts[1], [], "b"), record(texts[2], [], "c")]
    apply_document([(r, t, True) for r, t in zip(records, texts)])
    added = records[1]["entities"]
    assert [(e["text"], e["start"], e["propagated"]) for e in added] == [("FreeSurfer", 0, True)]
    assert records[0]["entities"][0].get("propagated") is None and records[2]["entities"] == []
    assert all(r["dropped"] == [] for r in records)


def test_short_names_and_found_spans_are_not_propagated():
    texts = ["R and SPSS were used.", "R again, and SPSS again."]
    records = [record(texts[0], ["R", "SPSS"], "a"), record(texts[1], ["SPSS"], "b")]
    apply_document([(r, t, True) for r, t in zip(records, texts)])
    assert [e["text"] for e in records[1]["entities"]] == ["SPSS"]


def test_a_one_off_common_word_is_dropped_with_its_relations():
    text = "The data were fitted with lme4 version 2."
    one = record(text, ["data", "lme4"], "a")
    one["entities"].append({"text": "2", "label": "Version", "start": 39, "end": 40, "start_token": 7, "end_token": 8, "sentence": 0})
    one["relations"] = [
        {"type": "Version_of", "attribute": 2, "software": 0, "score": 0.9},
        {"type": "Version_of", "attribute": 2, "software": 1, "score": 0.8},
    ]
    apply_document([(one, text, True)])
    assert [e["text"] for e in one["entities"]] == ["lme4", "2"]
    assert one["relations"] == [{"type": "Version_of", "attribute": 1, "software": 0, "score": 0.8}]
    (dropped,) = one["dropped"]
    assert dropped["text"] == "data" and dropped["relations"] == [{"type": "Version_of", "attribute": "2", "software": "data", "score": 0.9}]


def test_a_record_applied_before_is_context_and_stays_as_it_is():
    texts = ["Fiji was used.", "Then Fiji again."]
    done = record(texts[0], ["Fiji"], "a")
    done["dropped"] = []
    pending = record(texts[1], [], "b")
    apply_document([(done, texts[0], False), (pending, texts[1], True)])
    assert [e["text"] for e in pending["entities"]] == ["Fiji"] and done["dropped"] == []
