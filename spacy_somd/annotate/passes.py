"""The passes over a whole ``annotate`` output at the end of a run, a partition at a time:
document-level consistency (:mod:`.consistency`, rewriting the partitions it changes) and
the software identity tables (:mod:`.identities`) beside the output:
``OUTPUT-stem.identities.tsv`` (one row per identity of the whole output) and
``OUTPUT-stem.document-software.tsv`` (one row per identity and document)."""

from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from spacy_somd.annotate.consistency import apply_document
from spacy_somd.annotate.documents import staged_texts
from spacy_somd.annotate.identities import TABLE_HEADER, Alias, Joins, Software, annotate_record, record_software, rows, tsv
from spacy_somd.annotate.outputs import PartitionWriter
from spacy_somd.annotate.summary import RunCounts, mention_name
from spacy_somd.io import staged_path
from spacy_somd.labels import SOFTWARE_TYPES

Part = Tuple[int, List[Dict[str, Any]], bool]  # number, records, whether to rewrite it


def document_of(record: Dict[str, Any]) -> str:
    """The document a record belongs to (a record of JSONL or Parquet input is one)."""
    return record.get("document") or record["id"]


def consistency_pass(writer: PartitionWriter, files: List[Path], aliases: Optional[Dict[str, Alias]] = None) -> None:
    """Apply document-level consistency to the partitions it was not applied to, a
    document at a time; a partition is rewritten once its last document is done."""
    texts = staged_texts(files)
    waiting: List[Part] = []
    document: List[Tuple[Dict[str, Any], str, bool]] = []

    def text_of(record_id: str) -> str:
        for line in texts:  # the staged lines in order; a record's line comes at or after the last one's
            if line["id"] == record_id:
                return str(line["text"])
        raise RuntimeError(f"record {record_id}: not among the staged paragraphs")

    def close_document() -> None:
        apply_document(document)
        for record, _, change in document:
            if change:
                annotate_record(record, aliases)
        document.clear()

    for number, records in writer.parts():
        change = not records or "dropped" not in records[0]
        waiting.append((number, records, change))
        for record in records:
            if document and document_of(document[-1][0]) != document_of(record):
                close_document()
                flush(writer, waiting[:-1])
                del waiting[:-1]
            document.append((record, text_of(record["id"]), change))
    if document:
        close_document()
    flush(writer, waiting)


def flush(writer: PartitionWriter, parts: List[Part]) -> None:
    for number, records, change in parts:
        if change:
            writer.write_records(number, records)


def table_pass(writer: PartitionWriter, stem: Path, aliases: Optional[Dict[str, Alias]], total: RunCounts) -> Dict[str, Any]:
    """Write the identity tables; count into ``total`` what consistency changed; return
    the summary's fields (documents annotated, propagated and dropped entities)."""
    joins = Joins()
    corpus: Dict[str, Software] = {}
    documents = set()
    propagated: Counter = Counter()
    dropped: Counter = Counter()
    for _, records in writer.parts():
        for record in records:
            documents.add(document_of(record))
            joins.add_record(record)
            count_changes(record, total, propagated, dropped)
    for record in records_of(writer):  # a second pass: the joins are known
        for key, info in record_software(record, document_of(record), aliases):
            corpus.setdefault(joins.find(key), Software()).merge(info)
    with staged_path(Path(f"{stem}.identities.tsv")) as tmp, tmp.open("w", encoding="utf-8") as out:
        out.writelines(tsv([TABLE_HEADER, *rows(corpus)]))
    write_document_table(writer, Path(f"{stem}.document-software.tsv"), joins, aliases)
    return {"documents_annotated": len(documents), "identities": len(corpus), "propagated": sum(propagated.values()), "dropped": sum(dropped.values())}


def records_of(writer: PartitionWriter) -> Iterator[Dict[str, Any]]:
    for _, records in writer.parts():
        yield from records


def count_changes(record: Dict[str, Any], total: RunCounts, propagated: Counter, dropped: Counter) -> None:
    """Count the entities consistency added and dropped into the run's counts."""
    for entity in record["entities"]:
        if entity.get("propagated"):
            propagated[entity["label"]] += 1
            total.entities[entity["label"]] += 1
            total.add_software((mention_name(entity["text"]), entity["label"]), 1, ())
    for entity in record.get("dropped") or []:
        dropped[entity["label"]] += 1
        total.entities[entity["label"]] -= 1
        key = (mention_name(entity["text"]), entity["label"])
        if entity["label"] in SOFTWARE_TYPES and key in total.software:
            mentions, versions = total.software[key]
            if mentions <= 1:
                del total.software[key]
            else:
                total.software[key] = (mentions - 1, versions)
    total.entities += Counter()  # drop the labels counted down to 0


def write_document_table(writer: PartitionWriter, path: Path, joins: Joins, aliases: Optional[Dict[str, Alias]]) -> None:
    """One row per document and identity, documents in output order (a document's
    records are consecutive: memory is one document's software)."""
    with staged_path(path) as tmp, tmp.open("w", encoding="utf-8") as out:
        out.writelines(tsv([("document", *TABLE_HEADER[:-1])]))
        current: Optional[str] = None
        table: Dict[str, Software] = {}
        for record in records_of(writer):
            document = document_of(record)
            if document != current:
                out.writelines(tsv((current, *row[:-1]) for row in rows(table)))
                current, table = document, {}
            for key, info in record_software(record, document, aliases):
                table.setdefault(joins.find(key), Software()).merge(info)
        out.writelines(tsv((current, *row[:-1]) for row in rows(table)))
