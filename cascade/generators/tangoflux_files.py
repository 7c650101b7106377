"""Where TangoFlux's files are: a folder, $CASCADE_TANGOFLUX_PATH or the Hugging Face cache, offline.

Kept apart from the model code so `--generator auto` and `cascade models list` can look without
importing torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cascade.generators import GeneratorError

CHECKPOINT_REPO = "declare-lab/TangoFlux"
TEXT_ENCODER_REPO = "google/flan-t5-large"
CHECKPOINT_FILES = ("config.json", "tangoflux.safetensors", "vae.safetensors")
PATH_VARIABLE = "CASCADE_TANGOFLUX_PATH"
DOWNLOAD_HINT = "run `cascade models download tangoflux`"


def hub_cache() -> Path:
    """The Hugging Face hub cache folder: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".cache" / "huggingface") / "hub"


def _cached_snapshot(repo: str) -> Path | None:
    """The Hugging Face cache's snapshot folder of `repo` (the revision `refs/main` names), read from the cache's
    documented layout so that looking costs no import of huggingface_hub and no network."""
    folder = hub_cache() / f"models--{repo.replace('/', '--')}"
    try:
        revision = (folder / "refs" / "main").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    snapshot = folder / "snapshots" / revision
    return snapshot if revision and snapshot.is_dir() else None


def find_checkpoint(path: str | Path | None = None) -> Path:
    """The TangoFlux checkpoint folder: `path`, else $CASCADE_TANGOFLUX_PATH, else the Hugging Face cache."""
    explicit = path if path is not None else os.environ.get(PATH_VARIABLE)
    folder: Path | None
    if explicit:
        folder, where = Path(explicit).expanduser(), str(explicit)
    else:
        folder, where = _cached_snapshot(CHECKPOINT_REPO), f"${PATH_VARIABLE} (unset) and the Hugging Face cache ({CHECKPOINT_REPO})"
    missing = [name for name in CHECKPOINT_FILES if folder is None or not (folder / name).is_file()]
    if missing or folder is None:
        raise GeneratorError(f"TangoFlux weights not found in {where} (missing {', '.join(missing)}); {DOWNLOAD_HINT} "
                             f"or pass a folder holding {', '.join(CHECKPOINT_FILES)}")
    return folder


def read_config(checkpoint: Path) -> dict[str, Any]:
    """The checkpoint's config.json as a dict."""
    try:
        return json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GeneratorError(f"cannot read {checkpoint / 'config.json'}: {err}; {DOWNLOAD_HINT} again") from None


def find_text_encoder(checkpoint: Path, path: str | Path | None = None) -> Path:
    """The FLAN-T5 folder (config and tokenizer): `path`, else `<checkpoint>/text_encoder`, else the
    checkpoint config's `text_encoder_name` as a folder or a Hugging Face cache entry."""
    name = read_config(checkpoint).get("text_encoder_name", TEXT_ENCODER_REPO)
    if path is not None:
        candidates: list[Path | None] = [Path(path).expanduser()]
    else:
        local = Path(name).expanduser()
        candidates = [checkpoint / "text_encoder", local if local.is_dir() else _cached_snapshot(name)]
    for folder in candidates:
        if folder is not None and (folder / "config.json").is_file() and any(
                (folder / f).is_file() for f in ("tokenizer.json", "spiece.model")):
            return folder
    where = str(path) if path is not None else f"{checkpoint / 'text_encoder'} and the Hugging Face cache ({name})"
    raise GeneratorError(f"FLAN-T5 text encoder (config.json and tokenizer) not found in {where}; {DOWNLOAD_HINT}")
