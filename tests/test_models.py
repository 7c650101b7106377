"""Model listing, the automatic generator choice, and the download's arguments (the network is never touched)."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub
import huggingface_hub.constants
import pytest

from cascade import models
from cascade.generators import GeneratorError
from cascade.generators.auto import choose


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty Hugging Face cache, no checkpoint variable, and a download that only records its calls."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("CASCADE_TANGOFLUX_PATH", raising=False)
    calls = []
    lookup = huggingface_hub.snapshot_download

    def record(repo_id, **options):
        if options.get("local_files_only"):
            return lookup(repo_id, **options)
        calls.append((repo_id, options))
        return str(options.get("local_dir") or tmp_path / "snapshot" / repo_id)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", record)
    return calls


@pytest.fixture
def fake_checkpoint(tmp_path):
    folder = tmp_path / "tangoflux"
    (folder / "text_encoder").mkdir(parents=True)
    for name in ("config.json", "tangoflux.safetensors", "vae.safetensors"):
        (folder / name).write_text("{}")
    for name in ("config.json", "tokenizer.json"):
        (folder / "text_encoder" / name).write_text("{}")
    return folder


def test_listing_finds_a_checkpoint_named_by_the_variable(fake_checkpoint, monkeypatch):
    monkeypatch.setenv("CASCADE_TANGOFLUX_PATH", str(fake_checkpoint))
    rows = {row.name: row for row in models.list_models()}
    assert rows["tangoflux"].installed and rows["tangoflux"].where == str(fake_checkpoint)
    assert rows["flan-t5-large"].installed and rows["flan-t5-large"].where == str(fake_checkpoint / "text_encoder")
    lines = models.format_models(list(rows.values())).splitlines()
    assert len(lines) == len(rows) and lines[0].split()[:2] == ["tangoflux", "installed"]


def test_listing_names_every_shipped_checkpoint(capsys):
    from cascade.cli import main

    root = Path(__file__).resolve().parents[1]
    shipped = {"nfs": root / "renderers" / "checkpoints" / "nfs.pt"}
    shipped |= {f"e2e-{p.stem}": p for p in (root / "cascade" / "end_to_end" / "checkpoints").glob("*.pt")}
    assert "e2e-codec" in shipped and len(shipped) >= 3
    assert main(["models", "list"]) == 0
    listed = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    for name, path in shipped.items():
        assert listed[name][:2] == ["installed", str(path)]


def test_listing_says_how_to_get_missing_weights():
    rows = {row.name: row for row in models.list_models()}
    assert not rows["tangoflux"].installed and not rows["flan-t5-large"].installed
    assert "Hugging Face cache" in rows["tangoflux"].where and "cascade models download tangoflux" in rows["tangoflux"].where


def test_auto_picks_tangoflux_only_when_its_files_are_here(fake_checkpoint):
    name, reason = choose(fake_checkpoint)
    assert name == "tangoflux" and str(fake_checkpoint) in reason
    (fake_checkpoint / "vae.safetensors").unlink()
    name, reason = choose(fake_checkpoint)
    assert name == "procedural" and "vae.safetensors" in reason and "\n" not in reason
    name, reason = choose()
    assert name == "procedural" and "cascade models download tangoflux" in reason


def test_download_fetches_the_checkpoint_and_the_text_encoder_into_a_folder(offline, tmp_path):
    target = tmp_path / "weights"
    assert models.download("tangoflux", target) == target
    (repo, checkpoint), (text_repo, text) = offline
    assert repo == "declare-lab/TangoFlux" and text_repo == "google/flan-t5-large"
    assert sorted(checkpoint["allow_patterns"]) == ["config.json", "tangoflux.safetensors", "vae.safetensors"]
    assert checkpoint["local_dir"] == target and text["local_dir"] == target / "text_encoder"
    assert "tokenizer.json" in text["allow_patterns"] and "model.safetensors" not in text["allow_patterns"]


def test_download_defaults_to_the_cache_and_can_add_encoder_weights(offline):
    models.download("tangoflux", text_encoder_weights=True)
    assert [options["local_dir"] for _, options in offline] == [None, None]
    assert "model.safetensors" in offline[1][1]["allow_patterns"]


def test_download_refuses_unknown_models(offline):
    with pytest.raises(GeneratorError, match="tangoflux"):
        models.download("procedural")
    assert offline == []


def test_downloaded_layout_is_what_the_generator_looks_for(fake_checkpoint):
    from cascade.generators.tangoflux_files import find_checkpoint, find_text_encoder

    assert find_text_encoder(find_checkpoint(Path(fake_checkpoint))) == fake_checkpoint / "text_encoder"


def test_cli_lists_and_downloads(fake_checkpoint, offline, monkeypatch, capsys, tmp_path):
    from cascade.cli import main

    monkeypatch.setenv("CASCADE_TANGOFLUX_PATH", str(fake_checkpoint))
    assert main(["models", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["tangoflux", "installed", str(fake_checkpoint)]
    assert main(["models", "download", "tangoflux", "--to", str(tmp_path / "weights")]) == 0
    assert offline[0][1]["local_dir"] == tmp_path / "weights"
    assert main(["models", "download"]) == 2 and "tangoflux" in capsys.readouterr().err


def test_download_without_network_is_a_one_line_error(monkeypatch, capsys):
    from cascade.cli import main

    def unreachable(repo_id, **options):
        raise OSError("ConnectError: Name or service not known\nmore detail")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    assert main(["models", "download", "tangoflux"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Name or service not known" in err


def test_a_checkpoint_in_the_hugging_face_cache_layout_is_found(tmp_path):
    repo = tmp_path / "hf-cache" / "models--declare-lab--TangoFlux"
    snapshot = repo / "snapshots" / "0123abc"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    for name in ("config.json", "tangoflux.safetensors", "vae.safetensors"):
        (snapshot / name).write_text("{}")
    rows = {row.name: row for row in models.list_models()}
    assert rows["tangoflux"].installed and rows["tangoflux"].where == str(snapshot)
