"""project.yml is a valid spaCy project whose workflows name existing commands."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

from weasel.util import load_project_config

from spacy_somd import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_project_yml_is_valid_and_all_runs_the_main_steps():
    config = load_project_config(ROOT)
    commands = {command["name"] for command in config["commands"]}
    for workflow in config["workflows"].values():
        assert set(workflow) <= commands
    assert config["workflows"]["all"] == ["assets", "convert", "train", "evaluate", "predict", "package"]
    assert config["workflows"]["cv"] == ["assets", "convert", "cross-validate"]
    assert config["vars"]["package_version"] == __version__
    for command in config["commands"]:
        for dep in command.get("deps", []):
            if dep.startswith("configs/"):
                assert (ROOT / dep.replace("${vars.config}", config["vars"]["config"])).is_file()


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
