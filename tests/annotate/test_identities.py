"""Software identities: the canonical-name rules, identities joined by the pipeline's own
abbreviation and alternative-name relations, identifiers only where a URL or the alias
table proves them, and the tables an annotate run writes."""

import csv
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from spacy_somd.annotate.identities import Joins, annotate_record, clean, identity, read_aliases, record_software, rows, url_identifier
from spacy_somd.annotate.inputs import InputError
from spacy_somd.annotate.run import Settings, annotate_input
from tests.builders.documents import write_article_folder


@pytest.mark.parametrize(
    "text,canonical,version",
    [
        ("SPSS version 22", "SPSS", "22"),
        ("IBM SPSS Statistics 25", "SPSS Statistics", "25"),
        ("MATLAB R2016b", "MATLAB", "R2016b"),
        ("Python v3.8", "Python", "3.8"),
        ("lme4 package", "lme4", None),
        ("SAS statistical software", "SAS", None),
        ("Microsoft  Excel", "Excel", None),
        ("GraphPad Prism 8", "GraphPad Prism", "8"),
        ("“ImageJ”", "ImageJ", None),
        ("lme4", "lme4", None),
        ("R", "R", None),
        ("Microsoft", "Microsoft", None),
        ("Prism®  5", "Prism", "5"),
    ],
)
def test_canonical_names(text, canonical, version):
    assert clean(text) == (canonical, version)


def test_case_spacing_and_hyphen_variants_share_an_identity():
    assert {identity(clean(name)[0]) for name in ("ImageJ", "Image J", "image-j", "IMAGEJ 1.52")} == {"imagej"}
    assert identity("SPSS") != identity("SPSS Statistics")


@pytest.mark.parametrize(
    "url,found",
    [
        ("https://github.com/fiji/fiji.git", "github:fiji/fiji"),
        ("http: // github.com/owner/repo/tree/main", "github:owner/repo"),
        ("https://gitlab.com/group/project", "gitlab:group/project"),
        ("https://cran.r-project.org/package=lme4", "cran:lme4"),
        ("https://CRAN.R-project.org/web/packages/vegan/index.html", "cran:vegan"),
        ("https://pypi.org/project/numpy/", "pypi:numpy"),
        ("http://www.bioconductor.org/packages/release/bioc/html/DESeq2.html", "bioconductor:DESeq2"),
        ("https://sourceforge.net/projects/mcl", "sourceforge:mcl"),
        ("http://fiji.sc", None),
        ("https://github.com/", None),
        ("https://www.r-project.org", None),
    ],
)
def test_identifiers_from_code_hosts_and_package_indexes(url, found):
    assert url_identifier(url) == found


def entity(text: str, label: str, start: int = 0) -> Dict[str, Any]:
    return {"text": text, "label": label, "start": start, "end": start + len(text), "start_token": 0, "end_token": 1, "sentence": 0}


def record(entities: List[Tuple[str, str]], relations: List[Tuple[str, int, int]], id_: str = "r") -> Dict[str, Any]:
    out = {"id": id_, "sentences": [], "entities": [entity(t, label) for t, label in entities], "relations": []}
    out["relations"] = [{"type": t, "attribute": a, "software": s, "score": 1.0} for t, a, s in relations]
    return out


def table(records: List[Dict[str, Any]], aliases=None):
    joins = Joins()
    for r in records:
        annotate_record(r, aliases)
        joins.add_record(r)
    corpus: Dict[str, Any] = {}
    from spacy_somd.annotate.identities import Software

    for r in records:
        for key, info in record_software(r, r["id"], aliases):
            corpus.setdefault(joins.find(key), Software()).merge(info)
    return {row[0]: row for row in rows(corpus)}


def test_an_abbreviation_relation_joins_a_name_and_its_abbreviation():
    full = record(
        [("Statistical Package for the Social Sciences", "Application"), ("SPSS", "Abbreviation"), ("22", "Version")],
        [("Abbreviation_of", 1, 0), ("Version_of", 2, 0)],
        "a",
    )
    short = record([("SPSS", "Application")], [], "b")
    other = record([("Stata", "Application"), ("StataCorp", "Developer")], [("Developer_of", 1, 0)], "c")
    found = table([full, short, other])
    assert set(found) == {"SPSS", "Stata"}
    (spss,) = [row for name, row in found.items() if name != "Stata"]
    assert spss[3] == "SPSS; Statistical Package for the Social Sciences"  # names seen
    assert (spss[4], spss[8], spss[9]) == ("22", 2, 2)  # versions, mentions, documents
    assert found["Stata"][5] == "StataCorp"
    assert full["entities"][1]["identity"] == "spss" and "identity" not in full["entities"][2]


def test_a_relation_between_names_that_do_not_fit_joins_nothing():
    pairs = record(
        [("ImageJ", "Application"), ("Fiji", "AlternativeName"), ("SAS", "Application"), ("Statistical Analysis System", "AlternativeName")],
        [("AlternativeName_of", 1, 0), ("AlternativeName_of", 3, 2)],
    )
    found = table([pairs])
    assert set(found) == {"ImageJ", "SAS"}
    assert found["SAS"][3] == "SAS"


@pytest.mark.parametrize(
    "short,long,fit",
    [
        ("SPSS", "Statistical Package for the Social Sciences", True),
        ("GATK", "Genome Analysis Toolkit", True),
        ("Fiji", "ImageJ", False),
        ("R", "Stata", False),
    ],
)
def test_fits(short, long, fit):
    from spacy_somd.annotate.identities import fits

    assert fits(short, long) is fit


def test_no_identifier_without_its_evidence():
    linked = record([("Fiji", "Application"), ("https://github.com/fiji/fiji", "URL")], [("URL_of", 1, 0)], "a")
    unlinked = record([("ImageJ", "Application"), ("https://github.com/imagej/imagej", "URL")], [], "b")
    found = table([linked, unlinked])
    assert found["Fiji"][7] == "github:fiji/fiji [URL https://github.com/fiji/fiji]"
    assert found["ImageJ"][7] == "" and found["ImageJ"][6] == ""


def write_aliases(path: Path, rows_: List[List[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="\t").writerows(rows_)
    return path


def test_an_alias_table_names_and_identifies_with_its_line_as_evidence(tmp_path):
    path = write_aliases(tmp_path / "aliases.tsv", [["alias", "canonical", "wikidata", "rrid"], ["SPSS", "SPSS Statistics", "Q216032", "SCR_002865"]])
    aliases = read_aliases(path)
    one = record([("IBM SPSS", "Application")], [], "a")
    found = table([one], aliases)
    assert one["entities"][0]["canonical"] == "SPSS Statistics"
    assert found["SPSS Statistics"][7] == "rrid:SCR_002865 [aliases.tsv, line 2]; wikidata:Q216032 [aliases.tsv, line 2]"


def test_a_bad_alias_table_names_its_file_and_line(tmp_path):
    with pytest.raises(InputError, match=r"a.tsv, line 1: an alias table needs a header"):
        read_aliases(write_aliases(tmp_path / "a.tsv", [["name", "id"], ["SPSS", "x"]]))
    with pytest.raises(InputError, match=r"b.tsv, line 3: an alias and a canonical name are needed"):
        read_aliases(write_aliases(tmp_path / "b.tsv", [["alias", "canonical"], ["SPSS", "SPSS"], ["Stata", ""]]))


def test_a_run_writes_canonical_names_and_the_identity_tables(document_pipeline, tmp_path):
    folder = write_article_folder(tmp_path / "articles")
    aliases = write_aliases(tmp_path / "aliases.tsv", [["alias", "canonical", "wikidata"], ["QGIS", "QGIS", "Q1329181"]])
    output = tmp_path / "out.jsonl"
    annotate_input(str(document_pipeline), folder, output, Settings(aliases=str(aliases)), lambda *args: None)
    lines = [line.split("\t") for line in (tmp_path / "out.identities.tsv").read_text(encoding="utf-8").splitlines()]
    assert lines[0] == ["canonical", "identity", "type", "names", "versions", "developers", "urls", "identifiers", "mentions", "documents"]
    by_name = {line[0]: line for line in lines[1:]}
    assert by_name["QGIS"][7] == "wikidata:Q1329181 [aliases.tsv, line 2]"
    assert by_name["SPSS"][9] == "3"  # the JATS article, the PDF and the text file
    assert all(line[7] == "" for name, line in by_name.items() if name != "QGIS")
    per_document = [line.split("\t") for line in (tmp_path / "out.document-software.tsv").read_text(encoding="utf-8").splitlines()]
    assert per_document[0][:3] == ["document", "canonical", "identity"]
    assert {(line[0], line[1]) for line in per_document[1:]} >= {("PMC4750616", "SPSS"), ("10.1/eco.1", "QGIS"), ("d_notes.txt", "ImageJ")}
    changed = write_aliases(tmp_path / "aliases.tsv", [["alias", "canonical"], ["QGIS", "Quantum GIS"]])
    with pytest.raises(InputError, match="the options"):
        annotate_input(str(document_pipeline), folder, output, Settings(aliases=str(changed)), lambda *args: None)
