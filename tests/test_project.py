"""project.yml is a valid spaCy project whose workflows name existing commands."""
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
