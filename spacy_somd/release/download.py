"""Installing a released pipeline, as ``spacy download`` does: read the compatibility table
(``compatibility.json`` of :mod:`.manifest`), pick the newest release of the pipeline that
works with the installed spacy-somd and spaCy, download its wheel, check its SHA-256 and
install the file with pip. Every failure is a :class:`DownloadError` of one line."""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence
from urllib.parse import urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from spacy_somd.about import __version__

REPOSITORY = "spacy-somd/spacy-somd"
# the table of the latest GitHub release (each release's table lists every earlier release too)
DEFAULT_URL = f"https://github.com/{REPOSITORY}/releases/latest/download/compatibility.json"
URL_ENV = "SPACY_SOMD_COMPATIBILITY_URL"
DEFAULT_NAME = "en_somd"
TIMEOUT = 60
OFFLINE_HINT = (
    "offline? Download the wheel and its SHA256SUMS from the project's release page elsewhere and `pip install` the file, "
    f"or set {URL_ENV} (or --url) to a table you can reach"
)


class DownloadError(Exception):
    """A download that cannot go on, in one line."""


def compatibility_url(url: Optional[str] = None) -> str:
    """The table's URL: ``url``, else the environment variable ``SPACY_SOMD_COMPATIBILITY_URL``,
    else the latest GitHub release's ``compatibility.json``."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def fetch(url: str) -> bytes:
    """The body at ``url``; DownloadError when it cannot be reached or does not answer 200."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(f"cannot reach {url} ({reason}): {OFFLINE_HINT}") from None


def get_compatibility(url: str) -> Dict[str, Any]:
    """The compatibility table at ``url``."""
    try:
        table = json.loads(fetch(url))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DownloadError(f"{url}: not a compatibility table ({err})") from None
    if not isinstance(table, dict) or not isinstance(table.get("pipelines"), list):
        raise DownloadError(f"{url}: not a compatibility table (no list of pipelines)")
    return table


def works_with(entry: Mapping[str, Any], plugin: str, spacy: str) -> bool:
    """Whether a table entry's pipeline works with these spacy-somd and spaCy versions (an
    entry whose version or ranges do not parse does not)."""
    try:
        Version(str(entry.get("version")))
        return all(
            SpecifierSet(entry.get(key) or "").contains(version, prereleases=True)
            for key, version in (("spacy_somd_version", plugin), ("spacy_version", spacy))
        )
    except (InvalidSpecifier, InvalidVersion):
        return False


def select(table: Mapping[str, Any], name: str, version: Optional[str], plugin: str, spacy: str) -> Dict[str, Any]:
    """The entry to install: ``version`` of ``name``, or its newest release that works with
    spacy-somd ``plugin`` and spaCy ``spacy``."""
    releases = [entry for entry in table["pipelines"] if entry.get("name") == name]
    if not releases:
        known = sorted({str(entry.get("name")) for entry in table["pipelines"]})
        raise DownloadError(f"no pipeline {name!r} in the compatibility table (it has {', '.join(known) or 'none'})")
    if version is not None:
        releases = [entry for entry in releases if entry.get("version") == version]
        if not releases:
            raise DownloadError(f"no release {version} of {name} in the compatibility table")
    fitting = [entry for entry in releases if works_with(entry, plugin, spacy)]
    if not fitting:
        needs = "; ".join(f"{e['version']} needs spacy-somd{e.get('spacy_somd_version', '')} and spaCy{e.get('spacy_version', '')}" for e in releases)
        raise DownloadError(
            f"no release of {name} works with spacy-somd {plugin} and spaCy {spacy} ({needs}): install a spacy-somd that one needs, "
            "or train the pipeline yourself (README, 'Train it yourself')"
        )
    return max(fitting, key=lambda entry: Version(entry["version"]))


def download_wheel(entry: Mapping[str, Any], table_url: str, folder: Path) -> Path:
    """Download the entry's wheel (its URL relative to the table's) into ``folder`` and check
    its SHA-256; a wheel whose digest differs is deleted and refused."""
    url = urljoin(table_url, entry["url"])
    path = folder / Path(entry.get("wheel") or url.rsplit("/", 1)[-1]).name
    path.write_bytes(fetch(url))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != entry.get("sha256"):
        path.unlink()
        raise DownloadError(f"{url}: its SHA-256 {digest} is not the {entry.get('sha256')} of the compatibility table; refused, nothing installed")
    return path


def pip_install(wheel: Path, pip_args: Sequence[str] = ()) -> None:
    """``python -m pip install WHEEL PIP_ARGS`` with this Python; DownloadError when pip fails."""
    done = subprocess.run([sys.executable, "-m", "pip", "install", str(wheel), *pip_args])
    if done.returncode != 0:
        raise DownloadError(f"pip could not install {wheel.name} (exit status {done.returncode}; its messages are above)")


def download(name: str = DEFAULT_NAME, version: Optional[str] = None, url: Optional[str] = None, pip_args: Sequence[str] = ()) -> Dict[str, Any]:
    """Install the release of pipeline ``name`` (``version``, or the newest compatible)
    listed in the compatibility table at ``url`` (:func:`compatibility_url`); the table
    entry installed."""
    import spacy

    table_url = compatibility_url(url)
    entry = select(get_compatibility(table_url), name, version, __version__, spacy.__version__)
    with tempfile.TemporaryDirectory(prefix="spacy-somd-download-") as folder:
        pip_install(download_wheel(entry, table_url, Path(folder)), pip_args)
    return entry
