"""Publishing a release build (the folder of :func:`.build.build_release`): check that
``SHA256SUMS`` and ``release.json`` match the wheels there, then attach every file to the
GitHub release of the tag (``gh release upload``) and push each pipeline wheel to the
Hugging Face Hub (``python -m spacy huggingface-hub push`` of spacy-huggingface-hub). With
``dry_run`` everything is checked and the commands are printed, nothing is uploaded."""

import json
import subprocess
from pathlib import Path
from typing import Callable, List

from spacy_somd.release.manifest import CHECKSUMS, COMPATIBILITY, MANIFEST, read_checksums, sha256, wheel_meta


class PublishError(Exception):
    """A release folder that must not be published, in one line."""


def check_release(dist: Path, tag: str) -> List[Path]:
    """The files to publish from ``dist``, once ``SHA256SUMS`` lists every wheel there with
    its digest, ``release.json`` lists each pipeline wheel with its digest, and the tag is
    the release's version (``vVERSION``); PublishError naming the first mismatch."""
    for name in (CHECKSUMS, MANIFEST, COMPATIBILITY):
        if not (dist / name).is_file():
            raise PublishError(f"{dist / name}: missing; build the release first (`spacy project run release`)")
    sums = read_checksums((dist / CHECKSUMS).read_text(encoding="utf-8"))
    wheels = sorted(dist.glob("*.whl"))
    for wheel in wheels:
        if wheel.name not in sums:
            raise PublishError(f"{wheel}: not listed in {CHECKSUMS}")
        if sha256(wheel) != sums[wheel.name]:
            raise PublishError(f"{wheel}: its SHA-256 is not the one in {CHECKSUMS}; rebuild the release")
    for name in sorted(set(sums) - {w.name for w in wheels}):
        raise PublishError(f"{dist / name}: listed in {CHECKSUMS} but missing")
    manifest = json.loads((dist / MANIFEST).read_text(encoding="utf-8"))
    if tag.removeprefix("v") != manifest["release"]:
        raise PublishError(f"tag {tag} is not the version of the release build ({manifest['release']}): tag v{manifest['release']}")
    for entry in manifest["pipelines"]:
        if entry["sha256"] != sums.get(entry["wheel"]):
            raise PublishError(f"{MANIFEST}: {entry['wheel']} has another SHA-256 than in {CHECKSUMS}")
        meta = wheel_meta(dist / entry["wheel"])
        if "### Known limits" not in meta.get("notes", ""):
            raise PublishError(f"{entry['wheel']}: its meta has no model card (notes without 'Known limits')")
    return [*wheels, dist / CHECKSUMS, dist / MANIFEST, dist / COMPATIBILITY]


def publish_commands(dist: Path, tag: str, hub_org: str, hub_python: str = "python") -> List[List[str]]:
    """The upload commands of a checked release folder: one ``gh release upload`` of every
    file, then one Hub push per pipeline wheel, run by ``hub_python`` (a Python with spaCy
    and spacy-huggingface-hub, which requires a typer older than spacy-somd's: its own
    virtualenv)."""
    files = check_release(dist, tag)
    manifest = json.loads((dist / MANIFEST).read_text(encoding="utf-8"))
    commands = [["gh", "release", "upload", tag, *map(str, files), "--clobber"]]
    for entry in manifest["pipelines"]:
        push = [
            hub_python,
            "-m",
            "spacy",
            "huggingface-hub",
            "push",
            str(dist / entry["wheel"]),
            "--msg",
            f"spacy-somd {tag}: {entry['name']} {entry['version']}",
        ]
        commands.append(push + (["--org", hub_org] if hub_org else []))
    return commands


def publish(dist: Path, tag: str, hub_org: str = "", dry_run: bool = False, hub_python: str = "python", echo: Callable[[str], None] = print) -> List[List[str]]:
    """Check ``dist`` and run (or with ``dry_run`` only print) the upload commands."""
    commands = publish_commands(dist, tag, hub_org, hub_python)
    for command in commands:
        echo(("would run: " if dry_run else "$ ") + " ".join(command))
        if not dry_run:
            subprocess.run(command, check=True)
    return commands
