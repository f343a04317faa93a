"""The pinned SOMD 2025 files (commit and sha256) and fetching them (`fetch-corpus`)."""
import hashlib
import shutil
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

SOMD2025_URL = (
    "https://raw.githubusercontent.com/ekbanasolutions/somd-2025/"
    "425f02633f5dc3af74f00fcef38fb95d99cd9c1d/data/phase_1"
)
SOMD2025_SHA256 = {
    "train_texts.txt": "37fc5a7012b313d04aa6c73ee9eacbb3b4942d5a04ec00e4b328dcdabb3e9abf",
    "train_entities.txt": "561e748b5dcc74fc5be20b78ab28c4a0d8b7b906f3fcc845e483bda12ef79a5d",
    "train_relations.txt": "69d96e781a7d181228f1fea636cd5d5cb270cf3a99f728c3b1808f1f5b6f7857",
    "test_texts.txt": "450e788c184f126a231f58ade8ceb62871c9723edf58929b2137479db9ba1555",
}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fetch_corpus(
    dest: Path, local: Optional[Path], url: str = SOMD2025_URL, checksums: Dict[str, str] = SOMD2025_SHA256
) -> List[str]:
    """Put the corpus files into ``dest``: copied from ``local`` when that folder exists,
    downloaded from ``url`` otherwise; every file's sha256 is checked. Returns what was done."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    done = []
    for name, checksum in checksums.items():
        target = dest / name
        if target.is_file() and sha256_of(target) == checksum:
            done.append(f"{name}: present")
            continue
        tmp = target.with_suffix(".part")
        if local is not None and Path(local).is_dir():
            shutil.copyfile(Path(local) / name, tmp)
            source = str(Path(local) / name)
        else:
            urllib.request.urlretrieve(f"{url}/{name}", tmp)
            source = f"{url}/{name}"
        if sha256_of(tmp) != checksum:
            tmp.unlink()
            raise ValueError(f"{source}: sha256 does not match {checksum}")
        tmp.replace(target)
        done.append(f"{name}: from {source}")
    return done
