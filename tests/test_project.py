"""project.yml is a valid spaCy project: its workflows name existing commands, its assets
are the pinned corpus files, and every training it starts is the one train command.
benchmarks/project.yml is a valid project of its own whose commands name existing scripts."""

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from spacy.util import load_config
from thinc.util import has_cupy_gpu
from typer.testing import CliRunner
from weasel.util import load_project_config

from tests.builders import ROOT, SHARED_CORPUS

CORPUS_FILES = ["test_texts.txt", "train_entities.txt", "train_relations.txt", "train_texts.txt"]
CORPUS_COMMIT = "425f02633f5dc3af74f00fcef38fb95d99cd9c1d"
# the package's commands (python -m spacy_somd COMMAND) that project files may run
CLI_COMMANDS = {
    "convert",
    "train",
    "report",
    "evaluate-gold-entities",
    "evaluate-softcite",
    "predict",
    "package",
    "audit",
    "plot",
    "visualize",
    "annotate",
    "variant",
    "ensemble",
    "release",
}


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
    assert project["workflows"]["all"] == ["assets", "convert", "train", "evaluate", "evaluate-softcite", "predict", "package"]
    assert sorted(project["workflows"]) == ["all", "release", "vote"]
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
        result = subprocess.run([sys.executable, "-m", "spacy", "project", "run", *args, "--dry"], capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, (words, result.stderr[-500:])
        values = dict(zip(args[2::2], args[3::2]))
        expected = f"{values.get('--vars.config', 'default')}-fold{values.get('--vars.fold', 2)}"
        assert expected in result.stdout, words


def test_assets_are_the_corpus_files_at_the_pinned_commit(project):
    assets = {Path(asset["dest"]).name: asset for asset in project["assets"] if asset["dest"].startswith("assets/somd2025/")}
    assert sorted(assets) == CORPUS_FILES
    url = f"https://raw.githubusercontent.com/ekbanasolutions/somd-2025/{CORPUS_COMMIT}/data/phase_1"
    for name, asset in assets.items():
        assert asset["dest"] == f"assets/somd2025/{name}"
        assert asset["url"] == f"{url}/{name}"
        assert len(asset["checksum"]) == 32  # weasel checks md5
    # offline: the same assets from a local folder
    local = load_project_config(ROOT, overrides={"vars.corpus_source": "../shared/somd2025"})
    corpus = [a for a in local["assets"] if a["dest"].startswith("assets/somd2025/")]
    assert [a["url"] for a in corpus] == [f"../shared/somd2025/{Path(a['dest']).name}" for a in corpus]


def test_softcite_articles_are_an_asset_from_a_folder_and_every_training_reads_them(project):
    """Softcite's whole articles come from ``vars.softcite_source`` (a folder: the public
    file still holds Softcite's hold-out articles), checked by their md5; every training and
    the release build pass them as ``--paths.softcite``."""
    (softcite,) = [a for a in project["assets"] if a["dest"].startswith("assets/softcite/")]
    assert softcite["dest"] == "assets/softcite/software-contexts.json.gz"
    assert softcite["url"] == f"{project['vars']['softcite_source']}/software-contexts.json.gz" and len(softcite["checksum"]) == 32
    trainings = [line for command in project["commands"] for line in command["script"] if " train " in line or " release " in line]
    assert trainings and all("--paths.softcite assets/softcite/software-contexts.json.gz" in line for line in trainings)


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_asset_checksums_are_those_of_the_pinned_files(project):
    """The md5 sums weasel checks are those of the corpus files."""
    for asset in project["assets"]:
        folder = SHARED_CORPUS if asset["dest"].startswith("assets/somd2025/") else SHARED_CORPUS.parent / "softcite"
        data = (folder / Path(asset["dest"]).name).read_bytes()
        assert hashlib.md5(data).hexdigest() == asset["checksum"]


def test_every_training_is_the_one_train_command_with_all_fold_settings(project):
    """`train` and `train-seeds` run `spacy_somd train CONFIG OUTPUT` with the project's
    corpus, fold settings and GPU as config overrides (`build-release` trains through
    `spacy_somd release`, tests/release/test_build.py)."""
    variables = project["vars"]
    lines = script_lines(project, ["-m", "spacy_somd", "train"])
    assert sorted(lines) == ["train", "train-seeds"]
    for name, words in lines.items():
        assert words[3] == f"configs/{variables['config']}.cfg"
        flags = dict(zip(words[5::2], words[6::2]))
        fold = str(variables["fold"])
        assert flags["--paths.corpus"] == "corpus"
        assert flags["--somd.fold"] == fold, name
        assert flags["--somd.n_folds"] == str(variables["n_folds"])
        assert flags["--somd.negative_ratio"] == str(variables["negative_ratio"])
        assert flags["--gpu-id"] == str(variables["gpu_id"])
    assert not script_lines(project, ["-m", "spacy", "train"])
    (seeds,) = [command["script"] for command in project["commands"] if command["name"] == "train-seeds"]
    assert [shlex.split(line)[-2:] for line in seeds] == [["--system.seed", "1"], ["--system.seed", "2"]]


def test_project_commands_are_the_packages(project):
    for words in script_lines(project, ["-m", "spacy_somd"]).values():
        assert words[2] in CLI_COMMANDS, words


def test_benchmarks_project_is_valid_and_names_existing_scripts():
    """benchmarks/project.yml loads as a weasel project; its workflows name its commands, and
    every script it runs (python FILE or python -m spacy_somd COMMAND) exists."""
    folder = ROOT / "benchmarks"
    benchmarks = load_project_config(folder)
    commands = {command["name"] for command in benchmarks["commands"]}
    assert {"speed", "training-memory", "cross-validate", "learning-curve", "train-dynamics", "audit"} <= commands
    assert "adapt" not in commands
    for workflow in benchmarks["workflows"].values():
        assert set(workflow) <= commands
    assert set(benchmarks["workflows"]) == {"cv", "dynamics"}
    main = {command["name"] for command in load_project_config(ROOT)["commands"]}
    for command in benchmarks["commands"]:
        for line in command["script"]:
            words = shlex.split(line)
            assert words[0] == "python", line
            if words[1] == "-m" and words[2] == "spacy_somd":
                assert words[3] in CLI_COMMANDS, line
            elif words[1:4] == ["-m", "spacy", "project"]:
                assert words[4] == "run" and words[5] in main and (folder / words[6] / "project.yml").is_file(), line
            else:
                assert words[1].endswith(".py") and (folder / words[1]).is_file(), line
        for dep in command.get("deps", []):
            if "/configs/" in dep:
                assert (folder / dep).resolve().is_file(), dep


def test_package_name_and_held_out_fold_come_from_the_config(project):
    """No package name or held-out text in project.yml: `package` reads them from the
    trained pipeline's [somd] settings, and each config names its own package."""
    lines = script_lines(project, ["-m", "spacy_somd", "package"])
    assert "--name" not in lines["package"] and "--held-out" not in lines["package"]
    configs = {path.stem: load_config(path) for path in (ROOT / "configs").glob("*.cfg")}
    # every config that trains a whole pipeline (usage.cfg trains a head by its own script)
    names = {stem: config["somd"]["package_name"] for stem, config in configs.items() if stem != "usage"}
    assert set(names) == {"default", "fast", "gpu"}
    assert names["default"] == "somd"
    assert len(set(names.values())) == len(names)


def test_readme_carries_the_test_command():
    """CI reads the test command from the README's block."""
    assert "```bash\npython -m pytest tests\n```" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "override, named",
    [
        (["--training.max_stepz", "3"], "--training.max_stepz: [training] has no setting 'max_stepz' (did you mean --training.max_steps?)"),
        (["--trainin.max_steps", "3"], "--trainin.max_steps: the config has no section [trainin] (did you mean training?)"),
        (["--somd.fold", "7"], "fold (somd.fold) must be"),
    ],
)
def test_train_refuses_a_mistyped_override_before_any_work(override, named, tmp_path):
    """The project's training entry checks every override against the config (and the fold
    settings) and stops with one line naming it, within seconds, writing nothing."""
    from spacy_somd.cli import app

    start = time.perf_counter()
    result = CliRunner().invoke(app, ["train", str(ROOT / "configs" / "default.cfg"), str(tmp_path / "out"), *override])
    assert result.exit_code == 1
    assert named in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert time.perf_counter() - start < 10
    assert not (tmp_path / "out").exists()


def test_train_accepts_a_setting_the_config_leaves_at_its_default(tmp_path):
    """An override of a setting the config does not write out, an argument of a section's
    registered function or component factory, is a setting, not a typo."""
    from spacy.util import load_config

    from spacy_somd.training.overrides import override_error

    config = load_config(ROOT / "configs" / "default.cfg", interpolate=False)
    del config["components"]["transformer"]["model"]["max_packed_pieces"]
    del config["components"]["ner"]["update_with_oracle_cut_size"]
    assert override_error(config, "components.transformer.model.max_packed_pieces") is None
    assert override_error(config, "components.ner.update_with_oracle_cut_size") is None
    assert override_error(config, "components.ner.update_with_oracle_cut_sise").startswith("--components.ner.update_with_oracle_cut_sise")


@pytest.mark.skipif(has_cupy_gpu, reason="a usable GPU: this checks the error without one")
def test_train_on_a_gpu_without_one_is_one_line(tmp_path):
    from spacy_somd.cli import app

    command = ["train", str(ROOT / "configs" / "fast.cfg"), str(tmp_path / "out"), "--gpu-id", "0", "--paths.corpus", str(tmp_path)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert result.output.startswith("✘ --gpu-id 0: ") and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
