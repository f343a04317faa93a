"""Files written whole or not at all, the one way the package writes its outputs: a file
through a hidden temporary beside it and a rename (:func:`staged_path`,
:func:`write_atomic`), a set of files into a folder (:func:`write_all`), and files streamed
line by line into a hidden folder and moved in when all is done (:class:`StagedFiles`)."""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, List, Mapping, Optional, Sequence


@contextmanager
def staged_path(path: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``path`` to write to (``.NAME.PID.tmp``: a process's
    own, so that no two writers share one); renamed over ``path`` when the ``with`` block
    ends without an error, removed when it raises."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all."""
    with staged_path(path) as tmp:
        tmp.write_bytes(data)


def write_all(out_dir: Path, files: Mapping[str, bytes], replaces: Sequence[str] = ()) -> None:
    """Write files into a folder all or nothing: through a temporary folder beside them,
    moved in in the order given (put the file that marks the set complete last). Files
    matching a ``replaces`` glob are removed first, so none of an older set stays."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        for pattern in replaces:
            for old in out_dir.glob(pattern):
                if old.is_file():
                    old.unlink()
        for name in files:
            shutil.move(str(Path(tmp) / name), out_dir / name)


class StagedFiles:
    """Output files written into a hidden temporary folder inside ``out_dir`` and moved
    over the final names only when the ``with`` block ends without an error; after an
    error nothing is left, not even the folders it created. Creating it creates the
    temporary folder, so an output folder that cannot be written fails at once."""

    def __init__(self, out_dir: Path, names: Sequence[str]) -> None:
        self.out_dir, self.names = Path(out_dir), names
        self.created = [folder for folder in (self.out_dir, *self.out_dir.parents) if not folder.exists()]
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = tempfile.TemporaryDirectory(dir=self.out_dir, prefix=".staging-")
        self.files: List[IO[str]] = []

    def __enter__(self) -> List[IO[str]]:
        self.files = [open(Path(self.tmp.name) / name, "w", encoding="utf-8", newline="\n") for name in self.names]
        return self.files

    def __exit__(self, kind: object, *rest: object) -> None:
        """Close the files and, after no error, move them in; after an error (in the block,
        or in closing or moving the files, which is raised) remove all that was created."""
        error: Optional[OSError] = None
        for file in self.files:
            try:
                file.close()  # flushes: a full disk can fail here
            except OSError as err:
                error = error or err
        failed = kind is not None or error is not None
        try:
            if not failed:
                for name in self.names:
                    os.replace(Path(self.tmp.name) / name, self.out_dir / name)
        except BaseException:
            failed = True
            raise
        finally:
            self.tmp.cleanup()
            if failed:
                for folder in self.created:
                    folder.rmdir()
        if error is not None and kind is None:
            raise error
