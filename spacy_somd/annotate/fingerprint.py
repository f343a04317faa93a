"""What an ``annotate`` output is the output of, in its ``_manifest.json``: the input's files
(name, size, modification time and a sha256 of their first and last MiB and size: cheap,
and it catches edits), the model (a folder's ``meta.json`` and ``config.cfg``, or an
installed package's version) and the partition size. A rerun resumes only where all agree."""

import hashlib
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional

EDGE_BYTES = 1 << 20  # hashed at each end of an input file
MODEL_FILES = ("meta.json", "config.cfg")


def file_fingerprint(path: Path) -> Dict[str, Any]:
    """A file's name, size, mtime_ns and the sha256 of its size, first and last MiB."""
    stat = path.stat()
    digest = hashlib.sha256(str(stat.st_size).encode("ascii"))
    with path.open("rb") as f:
        digest.update(f.read(EDGE_BYTES))
        if stat.st_size > EDGE_BYTES:
            f.seek(max(EDGE_BYTES, stat.st_size - EDGE_BYTES))
            digest.update(f.read(EDGE_BYTES))
    return {"name": path.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}


def model_fingerprint(model: str) -> Dict[str, Any]:
    """A model folder's path and the sha256 of its meta.json and config.cfg, or an
    installed package's name and version (None where it is not installed)."""
    path = Path(model)
    if path.exists():
        digest = hashlib.sha256()
        for name in MODEL_FILES:
            file = path / name
            digest.update(name.encode("ascii") + b"\0" + (file.read_bytes() if file.is_file() else b"") + b"\0")
        return {"path": str(path.resolve()), "sha256": digest.hexdigest()}
    try:
        version = metadata.version(model)
    except (metadata.PackageNotFoundError, ValueError):
        version = None
    return {"package": model, "version": version}


def manifest_of(model: str, input_path: Path, files: List[Path], partition_size: int, options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The manifest of a run; ``options`` that change the output (consistency, the alias
    table's fingerprint) are in it where any is set."""
    manifest = {
        "model": model_fingerprint(model),
        "input": {"path": str(input_path.resolve()), "files": [file_fingerprint(f) for f in files]},
        "partition_size": partition_size,
    }
    if options and any(options.values()):
        manifest["options"] = options
    return manifest


def changes(found: Any, expected: Dict[str, Any]) -> List[str]:
    """What differs between the manifest ``found`` in an output and this run's, in words."""
    if not isinstance(found, dict) or not isinstance(found.get("model"), dict) or not isinstance(found.get("input"), dict):
        return ["its manifest is of an older version, without fingerprints"]
    said: List[str] = []
    old_model, new_model = found["model"], expected["model"]
    if old_model != new_model:
        if old_model.get("path", old_model.get("package")) != new_model.get("path", new_model.get("package")):
            said.append(f"the model ({old_model.get('path', old_model.get('package'))} then)")
        elif "version" in new_model:
            said.append(f"the model's version ({old_model.get('version')} then, {new_model['version']} now)")
        else:
            said.append("the model's meta.json or config.cfg")
    old_input, new_input = found["input"], expected["input"]
    if old_input.get("path") != new_input["path"]:
        said.append(f"the input ({old_input.get('path')} then)")
    elif old_input.get("files") != new_input["files"]:
        old_files = {f.get("name"): f for f in old_input.get("files", []) if isinstance(f, dict)}
        new_files = {f["name"]: f for f in new_input["files"]}
        edited = [name for name in new_files if name in old_files and old_files[name] != new_files[name]]
        added = [name for name in new_files if name not in old_files]
        removed = [name for name in old_files if name not in new_files]
        parts = [f"{what} {', '.join(map(str, names))}" for what, names in (("edited", edited), ("added", added), ("removed", removed)) if names]
        said.append(f"the input's files ({'; '.join(parts) or 'their order'})")
    if found.get("options") != expected.get("options"):
        old_options, new_options = found.get("options") or {}, expected.get("options") or {}
        said.append(f"the options ({', '.join(sorted(k for k in set(old_options) | set(new_options) if old_options.get(k) != new_options.get(k)))})")
    if found.get("partition_size") != expected["partition_size"]:
        said.append(f"--partition-size ({found.get('partition_size')} then, {expected['partition_size']} now)")
    return said
