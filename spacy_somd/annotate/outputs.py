"""The partitioned output of ``annotate``: a folder ``OUTPUT`` (``*.parquet`` or ``*.jsonl``)
of ``part-NNNNNN.parquet`` (or ``.jsonl``) files, partition k holding the output records of
input records ``[k * size, (k + 1) * size)``, each beside its counts and rejects
(``_part-NNNNNN.json``). A partition is written under a temporary name and renamed, its
counts last: a partition is complete when its counts file exists, absent otherwise.
``_manifest.json`` says what the folder is the output of (:mod:`.fingerprint`), so that a
rerun resumes only the same run; ``restart`` removes an earlier run's output first. A run
holds an exclusive lock on the folder (``_annotate.lock``) from start to end: one writer
per output. Beside the folder: ``OUTPUT-stem.summary.json``, ``.software.tsv`` and
``.rejects.jsonl``, rewritten from the partitions' counts at the end of every run, all three
whole or none (the old ones stay where writing them fails)."""

import json
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]

from spacy_somd.annotate.fingerprint import changes
from spacy_somd.annotate.inputs import InputError, Partition, parquet_module
from spacy_somd.annotate.summary import RunCounts, software_tsv
from spacy_somd.io import StagedFiles, staged_path, write_atomic

FORMATS = (".parquet", ".jsonl")
MANIFEST = "_manifest.json"
LOCK = "_annotate.lock"  # held (flock) by the run writing the folder
STAGED = ("_paragraphs.jsonl", "_documents.json")  # the paragraphs of a document input (.documents)


def record_schema() -> Any:
    """The Arrow schema of the output records (categories a map of label to score). The
    fields of document input (document, section, paragraph, kind, page), the identities
    of software mentions (canonical, identity) and what consistency changed (propagated,
    dropped) are null where they do not apply."""
    import pyarrow as pa

    sentence = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("cats", pa.map_(pa.string(), pa.float64()))])
    entity_fields = [
        ("text", pa.string()),
        ("label", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("start_token", pa.int64()),
        ("end_token", pa.int64()),
        ("sentence", pa.int64()),
        ("canonical", pa.string()),
        ("identity", pa.string()),
        ("usage", pa.map_(pa.string(), pa.float64())),
        ("usage_flags", pa.list_(pa.string())),
    ]
    entity = pa.struct([*entity_fields, ("propagated", pa.bool_())])
    relation = pa.struct([("type", pa.string()), ("attribute", pa.int64()), ("software", pa.int64()), ("score", pa.float64())])
    dropped_relation = pa.struct([("type", pa.string()), ("attribute", pa.string()), ("software", pa.string()), ("score", pa.float64())])
    dropped = pa.struct([*entity_fields, ("reason", pa.string()), ("relations", pa.list_(dropped_relation))])
    return pa.schema(
        [
            ("id", pa.string()),
            *[(name, pa.string()) for name in ("document", "section")],
            ("paragraph", pa.int64()),
            ("kind", pa.string()),
            ("page", pa.int64()),
            ("sentences", pa.list_(sentence)),
            ("entities", pa.list_(entity)),
            ("relations", pa.list_(relation)),
            ("dropped", pa.list_(dropped)),
        ]
    )


def parquet_rows(records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Output records as Parquet rows (categories and usage probabilities as key-value lists)."""
    return [
        {**r, "sentences": [{**s, "cats": list(s["cats"].items())} for s in r["sentences"]], "entities": [parquet_entity(e) for e in r["entities"]]}
        for r in records
    ]


def from_parquet(row: Dict[str, Any]) -> Dict[str, Any]:
    """A Parquet row as the output record JSONL holds: categories as dicts, and the null
    fields that JSONL leaves out (of document input, identities, consistency) left out."""
    row = {k: v for k, v in row.items() if v is not None or k in ("page", "paragraph") and row.get("document") is not None}
    row["sentences"] = [{**s, "cats": dict(s["cats"])} for s in row["sentences"]]
    row["entities"] = [{k: v for k, v in e.items() if v is not None or k in ("start_token", "end_token")} for e in row["entities"]]
    for entity in row["entities"]:
        if entity.get("propagated") is False:
            del entity["propagated"]
        if "usage" in entity:
            entity["usage"] = dict(entity["usage"])
    return row


class PartitionWriter:
    """Writes the partitions of one run into ``folder`` and knows which are complete."""

    def __init__(self, folder: Path, manifest: Dict[str, Any], restart: bool = False) -> None:
        self.folder = folder
        self.suffix = folder.suffix
        self.lock: Optional[IO[bytes]] = None
        # changes a partition's output records (in place) before they are written
        self.prepare: Optional[Callable[[Partition, List[Dict[str, Any]]], None]] = None
        if self.suffix not in FORMATS:
            raise InputError(f"{folder}: the output must end in .parquet or .jsonl (its format), not {self.suffix!r}")
        if self.suffix == ".parquet":
            parquet_module()
        manifest_path = folder / MANIFEST
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}: exists and is not a folder")
        if folder.exists() and any(p.name != LOCK for p in folder.iterdir()) and not manifest_path.is_file():
            raise InputError(f"{folder}: not empty and not the output of `annotate` (no {MANIFEST})")
        self.created = [f for f in (folder, *folder.parents) if not f.exists()]
        self.fresh = False
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.take_lock()
            if manifest_path.is_file() and restart:
                self.remove_output()
            elif manifest_path.is_file():
                try:
                    found = json.loads(manifest_path.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError):
                    found = None
                if found != manifest:
                    changed = "; ".join(changes(found, manifest))
                    raise InputError(f"{folder}: holds the output of another run: {changed}; rerun with --restart to start over, or use another OUTPUT")
            self.fresh = not manifest_path.is_file()
            for stale in folder.glob(".*.tmp"):  # a killed run's: no other run holds the lock
                stale.unlink()
            write_atomic(manifest_path, json.dumps(manifest, indent=2).encode("utf-8"))
        except BaseException:
            self.abandon()
            raise

    def take_lock(self) -> None:
        """Hold an exclusive lock on the folder (``flock`` of its lock file) until
        :meth:`close`; a folder that another run holds is an :class:`InputError` at once."""
        self.lock = open(self.folder / LOCK, "ab")
        if fcntl is None:  # not POSIX: no lock
            return
        try:
            fcntl.flock(self.lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.lock.close()
            self.lock = None
            raise InputError(f"{self.folder}: another run is writing it (it holds {LOCK}); wait for it to end, or use another OUTPUT") from None

    def close(self) -> None:
        """Release the folder's lock (the lock file stays: removing it could let two runs
        lock two files of one name)."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None

    def abandon(self) -> None:
        """After a run that failed before it completed a partition, remove what it
        created: a manifest it wrote, the lock file and folders it made (a resumed output
        is kept); release the lock."""
        if self.fresh and not self.complete():
            for stale in self.folder.glob(".*.tmp"):
                stale.unlink()
            for name in (MANIFEST, *STAGED):
                (self.folder / name).unlink(missing_ok=True)
            if self.created and self.lock is not None:
                (self.folder / LOCK).unlink(missing_ok=True)
        self.close()
        for folder in self.created:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def remove_output(self) -> None:
        """Remove what an earlier run wrote into the folder: its partitions, their counts,
        its temporary files and its manifest (last)."""
        for pattern in (f"part-*{self.suffix}", "_part-*.json", ".*.tmp", *STAGED, MANIFEST):
            for path in self.folder.glob(pattern):
                path.unlink()

    def part_path(self, number: int) -> Path:
        return self.folder / f"part-{number:06d}{self.suffix}"

    def counts_path(self, number: int) -> Path:
        return self.folder / f"_part-{number:06d}.json"

    def complete(self) -> Set[int]:
        """The numbers of the partitions written completely."""
        return {int(p.stem[len("_part-") :]) for p in self.folder.glob("_part-*.json")}

    def write(self, partition: Partition, records: List[Dict[str, Any]], counts: RunCounts) -> None:
        """Write a partition's records (after :attr:`prepare`), then its counts and rejects."""
        if self.prepare is not None:
            self.prepare(partition, records)
        self.write_records(partition.number, records)
        data = {"counts": counts.to_dict(), "rejects": [r.to_dict() for r in partition.rejects]}
        write_atomic(self.counts_path(partition.number), json.dumps(data).encode("utf-8"))

    def write_records(self, number: int, records: List[Dict[str, Any]]) -> None:
        """Write (or rewrite) partition ``number``'s records, whole or not at all."""
        path = self.part_path(number)
        if self.suffix == ".parquet":
            import pyarrow as pa

            with staged_path(path) as tmp:
                parquet_module().write_table(pa.Table.from_pylist(parquet_rows(records), schema=record_schema()), tmp)
        else:
            write_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8"))

    def parts(self) -> Iterator[Tuple[int, List[Dict[str, Any]]]]:
        """The complete partitions' numbers and records, in order, a partition at a time."""
        for number in sorted(self.complete()):
            yield number, read_part(self.part_path(number))

    def partition_data(self) -> Iterator[Dict[str, Any]]:
        """The counts and rejects of the complete partitions, in order."""
        for number in sorted(self.complete()):
            yield json.loads(self.counts_path(number).read_text(encoding="utf-8"))

    def finish(self, after: Optional[Callable[[RunCounts], Dict[str, Any]]] = None) -> RunCounts:
        """The whole output's counts; writes the summary, the software table and the
        rejects beside the folder. ``after`` may change the counts (what passes over the
        whole output changed) and returns fields for the summary."""
        total = RunCounts()
        stem = self.folder.with_suffix("")
        names = [f"{stem.name}{suffix}" for suffix in (".rejects.jsonl", ".summary.json", ".software.tsv")]
        # all three written whole into a hidden folder beside OUTPUT, then moved over the old ones
        with StagedFiles(stem.parent, names) as (rejects, summary_file, software):
            for data in self.partition_data():
                total.merge(RunCounts.from_dict(data["counts"]))
                rejects.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in data["rejects"])
            total.extra = after(total) if after else {}
            summary = {**total.to_dict(), "partitions": len(self.complete()), **total.extra}
            del summary["software"], summary["software_flags"]
            summary_file.write(json.dumps(summary, indent=2))
            software.write(software_tsv(total))
        return total


def read_part(path: Path) -> List[Dict[str, Any]]:
    """The output records of one partition file."""
    if path.suffix == ".parquet":
        return [from_parquet(row) for row in parquet_module().read_table(path).to_pylist()]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def parquet_entity(entity: Dict[str, Any]) -> Dict[str, Any]:
    """An entity as a Parquet row: its usage probabilities a map (null where absent)."""
    usage = entity.get("usage")
    return {**entity, "usage": None if usage is None else list(usage.items())}


def read_output(folder: Path) -> List[Dict[str, Any]]:
    """All output records of a folder, in order (categories as dicts, as in JSONL)."""
    records: List[Dict[str, Any]] = []
    for path in sorted(folder.glob(f"part-*{folder.suffix}")):
        records.extend(read_part(path))
    return records
