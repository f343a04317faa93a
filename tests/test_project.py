"""project.yml is a valid spaCy project: its workflows name existing commands, its assets
are the pinned corpus files, and every training it starts is the one train command."""
import hashlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from spacy.util import load_config
from thinc.util import has_cupy_gpu
from typer.testing import CliRunner
from weasel.cli.document import project_document
from weasel.util import load_project_config

from spacy_somd.cli import app
from spacy_somd.corpus.download import SOMD2025_SHA256, SOMD2025_URL
from spacy_somd.training.overrides import train_command, training_overrides

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "somd2025"


@pytest.fixture(scope="module")
def project() -> Dict[str, Any]:
    return load_project_config(ROOT)


def script_lines(project: Dict[str, Any], program: List[str]) -> Dict[str, List[str]]:
    """The script lines (split like a shell) that run ``python PROGRAM...``, by command."""
    found = {}
    for command in project["commands"]:
        for line in command.get("script", []):
            words = shlex.split(line)
            if words[1 : 1 + len(program)] == program:
                found[command["name"]] = words[1:]
    return found


def test_workflows_name_existing_commands(project):
    commands = {command["name"] for command in project["commands"]}
    for workflow in project["workflows"].values():
        assert set(workflow) <= commands
    assert project["workflows"]["all"] == ["assets", "convert", "train", "evaluate", "predict", "package"]
    assert project["workflows"]["cv"] == ["assets", "convert", "cross-validate"]
    assert "clean" in commands
    for command in project["commands"]:
        for dep in command.get("deps", []):
            if dep.startswith("configs/"):
                assert (ROOT / dep).is_file(), dep


def test_readme_project_commands_with_vars_run(tmp_path):
    """Every `spacy project run ... --vars...` of the README works as written (spaCy
    needs the project folder before the flags), checked with --dry in a copy."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    commands = [m.split() for m in re.findall(r"spacy project run [^`]*?--vars[^`]*", readme)]
    assert len(commands) >= 2
    shutil.copy(ROOT / "project.yml", tmp_path)
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    for words in commands:
        args = words[3:]
        result = subprocess.run(
            [sys.executable, "-m", "spacy", "project", "run", *args, "--dry"], capture_output=True, text=True, cwd=tmp_path
        )
        assert result.returncode == 0, (words, result.stderr[-500:])
        values = dict(zip(args[2::2], args[3::2]))
        expected = f"{values.get('--vars.config', 'default')}-fold{values.get('--vars.fold', 2)}"
        assert expected in result.stdout, words


def test_assets_are_the_corpus_files_at_the_pinned_commit(project):
    assets = {Path(asset["dest"]).name: asset for asset in project["assets"]}
    assert sorted(assets) == sorted(SOMD2025_SHA256)
    for name, asset in assets.items():
        assert asset["dest"] == f"assets/somd2025/{name}"
        assert asset["url"] == f"{SOMD2025_URL}/{name}"
        assert len(asset["checksum"]) == 32  # weasel checks md5
    # offline: the same assets from a local folder
    local = load_project_config(ROOT, overrides={"vars.corpus_source": "../shared/somd2025"})
    assert [a["url"] for a in local["assets"]] == [f"../shared/somd2025/{Path(a['dest']).name}" for a in local["assets"]]


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_asset_checksums_are_those_of_the_pinned_files(project):
    """The md5 sums weasel checks belong to the files whose sha256 the package pins."""
    for asset in project["assets"]:
        data = (SHARED_CORPUS / Path(asset["dest"]).name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == SOMD2025_SHA256[Path(asset["dest"]).name]
        assert hashlib.md5(data).hexdigest() == asset["checksum"]


def test_every_training_is_the_one_train_command_with_all_fold_settings(project):
    """`train` and `train-dynamics` run `spacy_somd train` exactly as train_command builds
    it from the project's variables (corpus, fold, n_folds, negative_ratio, gpu_id)."""
    variables = project["vars"]
    lines = script_lines(project, ["-m", "spacy_somd", "train"])
    assert sorted(lines) == ["train", "train-dynamics", "train-release", "train-seeds"]
    for name, words in lines.items():
        fold = None if name == "train-release" else variables["fold"]
        expected = train_command(
            words[3], words[4], corpus="corpus", fold=fold, n_folds=variables["n_folds"],
            negative_ratio=variables["negative_ratio"], gpu_id=variables["gpu_id"],
        )  # fmt: skip
        assert words[1 : 1 + len(expected)] == expected, name
        assert words[3] == f"configs/{variables['config']}.cfg"
    assert not script_lines(project, ["-m", "spacy", "train"])
    (seeds,) = [command["script"] for command in project["commands"] if command["name"] == "train-seeds"]
    assert [shlex.split(line)[-2:] for line in seeds] == [["--system.seed", "1"], ["--system.seed", "2"]]


def test_benchmarks_get_all_fold_settings_and_the_gpu(project):
    lines = script_lines(project, ["benchmarks/variants.py"])
    assert sorted(lines) == ["adversarial", "cross-validate", "learning-curve", "sieve"]
    for name, words in lines.items():
        for flag in ("--n-folds", "--negative-ratio", "--gpu-id"):
            assert flag in words, (name, flag)


def test_package_name_and_held_out_fold_come_from_the_config(project):
    """No package name or held-out text in project.yml: `package` reads them from the
    trained pipeline's [somd] settings, and each config names its own package."""
    lines = script_lines(project, ["-m", "spacy_somd", "package"])
    assert "--name" not in lines["package"] and "--held-out" not in lines["package"]
    release = lines["package-release"]  # trained on every fold: scored by the held-out fold's run
    fold = project["vars"]["fold"]
    assert release[release.index("--metrics") + 1] == f"metrics/{project['vars']['config']}-fold{fold}.json"
    assert release[release.index("--held-out") + 1].startswith(f"fold {fold} of the SOMD 2025 Phase I training data")
    names = {path.stem: load_config(path)["somd"]["package_name"] for path in (ROOT / "configs").glob("*.cfg")}
    assert names["default"] == "somd"
    assert len(set(names.values())) == len(names)


def test_train_command_sets_the_fold_settings_once(tmp_path):
    assert training_overrides("corpus", 1, 5, 0.5, {"training.max_steps": 3}) == {
        "paths.corpus": "corpus", "somd.fold": 1, "somd.n_folds": 5, "somd.negative_ratio": 0.5, "training.max_steps": 3,
    }  # fmt: skip
    command = train_command(ROOT / "configs" / "fast.cfg", tmp_path / "out", corpus=tmp_path, fold=1, n_folds=5,
                            negative_ratio=0.5, gpu_id=-1, overrides={"somd.fold": 2})  # fmt: skip
    result = CliRunner().invoke(app, command[1:])
    assert result.exit_code == 1
    assert "somd.fold" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_readme_carries_the_current_project_document(tmp_path):
    """The README's `spacy project document` block is what project.yml gives today."""
    readme = tmp_path / "README.md"
    shutil.copyfile(ROOT / "README.md", readme)
    project_document(ROOT, readme)
    assert readme.read_text(encoding="utf-8") == (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(has_cupy_gpu, reason="a usable GPU: this checks the error without one")
def test_train_on_a_gpu_without_one_is_one_line(tmp_path):
    command = train_command(ROOT / "configs" / "fast.cfg", tmp_path / "out", corpus=tmp_path, fold=1, n_folds=4,
                            negative_ratio=0.3, gpu_id=0)  # fmt: skip
    result = CliRunner().invoke(app, command[1:])
    assert result.exit_code == 1
    assert result.output.startswith("✘ --gpu-id 0: ") and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
