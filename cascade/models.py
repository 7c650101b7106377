"""What model files are installed where (`cascade models list`), and the one networked step:
`cascade models download tangoflux`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import renderers
from cascade import minilm
from cascade.errors import CascadeError
from cascade.generators import GeneratorError
from cascade.generators.tangoflux_files import (
    CHECKPOINT_FILES,
    CHECKPOINT_REPO,
    TEXT_ENCODER_REPO,
    find_checkpoint,
    find_text_encoder,
)

TEXT_ENCODER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model")
DOWNLOADABLE = ("tangoflux",)


@dataclass(frozen=True)
class ModelStatus:
    """One model: whether it can be used offline now, from where, or what to do about it."""

    name: str
    installed: bool
    where: str


def list_models(tangoflux_path: str | Path | None = None) -> list[ModelStatus]:
    """TangoFlux checkpoint, its FLAN-T5 text encoder, the MiniLM sentence model, and the shipped checkpoints."""
    try:
        checkpoint = find_checkpoint(tangoflux_path)
    except GeneratorError as err:
        rows = [ModelStatus("tangoflux", False, str(err)), ModelStatus("flan-t5-large", False, "comes with tangoflux")]
    else:
        rows = [ModelStatus("tangoflux", True, str(checkpoint))]
        try:
            rows.append(ModelStatus("flan-t5-large", True, str(find_text_encoder(checkpoint))))
        except GeneratorError as err:
            rows.append(ModelStatus("flan-t5-large", False, str(err)))
    try:
        folder = minilm.model_folder("library")
        minilm.verify(folder)
    except CascadeError as err:
        rows.append(ModelStatus("minilm", False, f"for --generator library and the end-to-end model: {err}"))
    else:
        rows.append(ModelStatus("minilm", True, f"{folder} (SHA-256 digests checked)"))
    return rows + shipped_checkpoints()


def shipped_checkpoints() -> list[ModelStatus]:
    """Every checkpoint file shipped in the package: the NFS renderer's (`nfs`) and the end-to-end model's (`e2e-NAME`)."""
    from cascade.end_to_end.checkpoints import SHIPPED

    folders = ((Path(renderers.__file__).parent / "checkpoints", ""), (SHIPPED, "e2e-"))
    return [ModelStatus(prefix + path.stem, True, f"{path} ({path.stat().st_size / 2**20:.1f} MB, shipped)")
            for folder, prefix in folders for path in sorted(folder.glob("*.pt"))]


def format_models(rows: list[ModelStatus]) -> str:
    """One line per model: name, installed or missing, location or fix."""
    width = max(len(row.name) for row in rows)
    return "\n".join(f"{row.name:<{width}}  {'installed' if row.installed else 'missing  '}  {row.where}" for row in rows)


def download(name: str, folder: str | Path | None = None, text_encoder_weights: bool = False) -> Path:
    """Fetch TangoFlux (declare-lab/TangoFlux: config.json, tangoflux.safetensors 3.4 GB, vae.safetensors 624 MB)
    and FLAN-T5-large's config and tokenizer (its encoder weights ship inside tangoflux.safetensors; add
    `text_encoder_weights` for model.safetensors, 3.1 GB) into `folder` (FLAN-T5 under `folder/text_encoder`)
    or the Hugging Face cache. Returns the checkpoint folder."""
    if name not in DOWNLOADABLE:
        raise GeneratorError(f"cannot download '{name}'; downloadable models: {', '.join(DOWNLOADABLE)}")
    from huggingface_hub import snapshot_download

    target = Path(folder).expanduser() if folder is not None else None
    patterns = list(TEXT_ENCODER_FILES) + (["model.safetensors"] if text_encoder_weights else [])
    try:
        checkpoint = snapshot_download(CHECKPOINT_REPO, allow_patterns=list(CHECKPOINT_FILES), local_dir=target)
        snapshot_download(TEXT_ENCODER_REPO, allow_patterns=patterns, local_dir=target / "text_encoder" if target else None)
    except OSError as err:  # huggingface_hub's network and missing-file errors are all OSErrors
        reason = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise GeneratorError(f"cannot download {name} from the Hugging Face Hub ({reason}); check the network and run again") from None
    return Path(checkpoint)
