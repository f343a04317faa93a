"""The partitioned output of ``annotate``: a folder ``OUTPUT`` (``*.parquet`` or ``*.jsonl``)
of ``part-NNNNNN.parquet`` (or ``.jsonl``) files, partition k holding the output records of
input records ``[k * size, (k + 1) * size)``, each beside its counts and rejects
(``_part-NNNNNN.json``). A partition is written under a temporary name and renamed, its
counts last: a partition is complete when its counts file exists, absent otherwise.
``_manifest.json`` says what the folder is the output of (:mod:`.fingerprint`), so that a
rerun resumes only the same run; ``restart`` removes an earlier run's output first. A run
holds an exclusive lock on the folder (``_annotate.lock``) from start to end: one writer
per output. Beside the folder: ``OUTPUT-stem.summary.json``, ``.software.tsv`` and
``.rejects.jsonl``, rewritten from the partitions' counts at the end of every run."""

import json
from pathlib import Path
from typing import IO, Any, Dict, Iterator, List, Optional, Set

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]

from spacy_somd.annotate.fingerprint import changes
from spacy_somd.annotate.inputs import InputError, Partition, parquet_module
from spacy_somd.annotate.summary import RunCounts, software_tsv
from spacy_somd.io import staged_path, write_atomic

FORMATS = (".parquet", ".jsonl")
MANIFEST = "_manifest.json"
LOCK = "_annotate.lock"  # held (flock) by the run writing the folder


def record_schema() -> Any:
    """The Arrow schema of the output records (categories a map of label to score)."""
    import pyarrow as pa

    sentence = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("cats", pa.map_(pa.string(), pa.float64()))])
    entity = pa.struct(
        [
            ("text", pa.string()),
            ("label", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("start_token", pa.int64()),
            ("end_token", pa.int64()),
            ("sentence", pa.int64()),
            ("usage", pa.map_(pa.string(), pa.float64())),
            ("usage_flags", pa.list_(pa.string())),
        ]
    )
    relation = pa.struct([("type", pa.string()), ("attribute", pa.int64()), ("software", pa.int64()), ("score", pa.float64())])
    return pa.schema([("id", pa.string()), ("sentences", pa.list_(sentence)), ("entities", pa.list_(entity)), ("relations", pa.list_(relation))])


class PartitionWriter:
    """Writes the partitions of one run into ``folder`` and knows which are complete."""

    def __init__(self, folder: Path, manifest: Dict[str, Any], restart: bool = False) -> None:
        self.folder = folder
        self.suffix = folder.suffix
        self.lock: Optional[IO[bytes]] = None
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
            (self.folder / MANIFEST).unlink(missing_ok=True)
            if self.created and self.lock is not None:
                (self.folder / LOCK).unlink(missing_ok=True)
        self.close()
        for folder in self.created:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def remove_output(self) -> None:
        """Remove what an earlier run wrote into the folder: its partitions, their counts,
        its temporary files and its manifest (last)."""
        for pattern in (f"part-*{self.suffix}", "_part-*.json", ".*.tmp", MANIFEST):
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
        """Write a partition's records, then its counts and rejects."""
        path = self.part_path(partition.number)
        if self.suffix == ".parquet":
            import pyarrow as pa

            rows = [
                {**r, "sentences": [{**s, "cats": list(s["cats"].items())} for s in r["sentences"]], "entities": [parquet_entity(e) for e in r["entities"]]}
                for r in records
            ]
            with staged_path(path) as tmp:
                parquet_module().write_table(pa.Table.from_pylist(rows, schema=record_schema()), tmp)
        else:
            write_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8"))
        data = {"counts": counts.to_dict(), "rejects": [r.to_dict() for r in partition.rejects]}
        write_atomic(self.counts_path(partition.number), json.dumps(data).encode("utf-8"))

    def partition_data(self) -> Iterator[Dict[str, Any]]:
        """The counts and rejects of the complete partitions, in order."""
        for number in sorted(self.complete()):
            yield json.loads(self.counts_path(number).read_text(encoding="utf-8"))

    def finish(self) -> RunCounts:
        """The whole output's counts; writes the summary, the software table and the
        rejects beside the folder."""
        total = RunCounts()
        stem = self.folder.with_suffix("")
        with open(f"{stem}.rejects.jsonl", "w", encoding="utf-8") as rejects:
            for data in self.partition_data():
                total.merge(RunCounts.from_dict(data["counts"]))
                rejects.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in data["rejects"])
        summary = {**total.to_dict(), "partitions": len(self.complete())}
        del summary["software"], summary["software_flags"]
        Path(f"{stem}.summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        Path(f"{stem}.software.tsv").write_text(software_tsv(total), encoding="utf-8")
        return total


def parquet_entity(entity: Dict[str, Any]) -> Dict[str, Any]:
    """An entity as a Parquet row: its usage probabilities a map (null where absent)."""
    usage = entity.get("usage")
    return {**entity, "usage": None if usage is None else list(usage.items())}


def json_entity(row: Dict[str, Any]) -> Dict[str, Any]:
    """A Parquet entity row as in JSONL: the usage fields only where they were written."""
    usage, flags = row.pop("usage", None), row.pop("usage_flags", None)
    return row if usage is None else {**row, "usage": dict(usage), "usage_flags": list(flags or [])}


def read_output(folder: Path) -> List[Dict[str, Any]]:
    """All output records of a folder, in order (categories as dicts, as in JSONL)."""
    records: List[Dict[str, Any]] = []
    for path in sorted(folder.glob(f"part-*{folder.suffix}")):
        if folder.suffix == ".parquet":
            for row in parquet_module().read_table(path).to_pylist():
                row["sentences"] = [{**s, "cats": dict(s["cats"])} for s in row["sentences"]]
                row["entities"] = [json_entity(e) for e in row["entities"]]
                records.append(row)
        else:
            records.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return records
