"""TangoFlux text-to-audio: one batched, guided rectified-flow run per scene, 44.1 kHz mono clips.

Weights are read offline only: a folder (argument or CASCADE_TANGOFLUX_PATH) or the Hugging Face cache
(declare-lab/TangoFlux); the FLAN-T5-large tokenizer and config come from `text_encoder_path`, the
checkpoint's `text_encoder/` subfolder, or the Hugging Face cache (google/flan-t5-large).
`cascade models download tangoflux` fetches both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cascade.audio import fit_length
from cascade.devices import torch_device
from cascade.generators import Generator, GeneratorError, clip_length
from cascade.generators.tangoflux_files import DOWNLOAD_HINT, find_checkpoint, find_text_encoder, read_config

_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
           "float16": torch.float16, "fp16": torch.float16}


def _weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as err:
        raise GeneratorError(f"cannot read {path}: {err}; {DOWNLOAD_HINT} again") from None


def _device_and_dtype(name: str | None, dtype: str | torch.dtype | None) -> tuple[torch.device, torch.dtype]:
    device = torch_device(name, GeneratorError)
    if dtype is None:
        return device, torch.bfloat16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise GeneratorError(f"unknown dtype '{dtype}'; choose one of: {', '.join(_DTYPES)}")
        return device, _DTYPES[dtype]
    return device, dtype


class TangoFluxGenerator(Generator):
    """Learned mono clips from TangoFlux: 44.1 kHz, durations in (0, 30] s.

    steps: Euler steps; guidance_scale: classifier-free guidance weight; device: cuda / mps / cpu (auto);
    dtype: transformer precision (bf16 on CUDA, fp32 elsewhere; "float16" optional), the text encoder and
    VAE stay fp32; all_frames: denoise the full 30 s latent as the reference does, instead of only the frames
    the longest clip needs (either way only a clip's own frames are decoded); decode_chunk: VAE-decode
    this many latent frames at a time (None: whole clip).
    """

    name = "tangoflux"
    sample_rate = 44100

    def __init__(self, path: str | Path | None = None, steps: int = 50, guidance_scale: float = 4.5,
                 device: str | None = None, dtype: str | torch.dtype | None = None,
                 text_encoder_path: str | Path | None = None, all_frames: bool = False, decode_chunk: int | None = None):
        if steps < 1:
            raise GeneratorError(f"steps must be at least 1, got {steps}")
        if decode_chunk is not None and decode_chunk < 1:
            raise GeneratorError(f"decode_chunk must be a positive number of latent frames, got {decode_chunk}")
        self.checkpoint = find_checkpoint(path)
        self.text_encoder_path = find_text_encoder(self.checkpoint, text_encoder_path)
        self.max_duration = float(read_config(self.checkpoint).get("max_duration", 30))
        self.steps, self.guidance_scale = steps, guidance_scale
        self.all_frames, self.decode_chunk = all_frames, decode_chunk
        self.device, self.dtype = _device_and_dtype(device, dtype)
        self._parts: tuple[Any, Any, Any] | None = None

    @property
    def cache_tag(self) -> str:  # type: ignore[override]
        """What besides prompt, duration and seed decides a clip: weights, sampler settings, precision."""
        return (f"{self.checkpoint}|{self.text_encoder_path}|steps={self.steps}|cfg={self.guidance_scale}"
                f"|{str(self.dtype).removeprefix('torch.')}|all_frames={self.all_frames}")

    @classmethod
    def from_parts(cls, model: Any, vae: Any, tokenizer: Any, steps: int = 50, guidance_scale: float = 4.5,
                   all_frames: bool = False, decode_chunk: int | None = None) -> TangoFluxGenerator:
        """A generator over modules already built (benchmarks with random full-size weights), on their device."""
        generator = cls.__new__(cls)
        generator.checkpoint = generator.text_encoder_path = None  # type: ignore[assignment]
        generator.steps, generator.guidance_scale = steps, guidance_scale
        generator.all_frames, generator.decode_chunk = all_frames, decode_chunk
        generator.device, generator.dtype = model.transformer.device, model.transformer.dtype
        generator.max_duration = model.max_duration
        generator._parts = (model, vae, tokenizer)
        return generator

    def _load(self) -> tuple[Any, Any, Any]:
        if self._parts is None:
            from diffusers import AutoencoderOobleck
            from transformers import T5Config, T5EncoderModel, T5TokenizerFast

            from cascade.generators.tangoflux_model import TangoFlux, vae_config_from_state_dict

            config = read_config(self.checkpoint)
            try:
                tokenizer = T5TokenizerFast.from_pretrained(str(self.text_encoder_path))
                text_config = T5Config.from_pretrained(str(self.text_encoder_path))
            except (OSError, ValueError, ImportError) as err:
                raise GeneratorError(f"cannot read the FLAN-T5 tokenizer in {self.text_encoder_path}: {err}; {DOWNLOAD_HINT}") from None
            state = _weights(self.checkpoint / "tangoflux.safetensors")
            if "text_encoder.shared.weight" not in state:
                state.update(self._text_encoder_weights(T5EncoderModel))
            state.setdefault("text_encoder.encoder.embed_tokens.weight", state["text_encoder.shared.weight"])
            with torch.device("meta"):
                model = TangoFlux(config, text_config)
            vae_state = _weights(self.checkpoint / "vae.safetensors")
            try:
                model.load_state_dict(state, strict=True, assign=True)
                with torch.device("meta"):
                    vae = AutoencoderOobleck(**vae_config_from_state_dict(vae_state))
                vae.load_state_dict(vae_state, strict=True, assign=True)
            except (RuntimeError, KeyError) as err:
                first = str(err).strip().splitlines()[0][:300]
                raise GeneratorError(f"{self.checkpoint} does not hold a TangoFlux checkpoint this code can load: {first}") from None
            model.eval().float().to(self.device)
            model.transformer.to(self.dtype)
            self._parts = (model, vae.eval().float().to(self.device), tokenizer)
        return self._parts

    def _text_encoder_weights(self, t5_class: Any) -> dict[str, torch.Tensor]:
        """FLAN-T5 encoder weights from the text-encoder folder, for checkpoints that do not carry them."""
        try:
            encoder = t5_class.from_pretrained(str(self.text_encoder_path), local_files_only=True)
        except OSError:
            raise GeneratorError(f"{self.checkpoint / 'tangoflux.safetensors'} carries no text encoder and {self.text_encoder_path} "
                                 f"holds no T5 weights; run `cascade models download tangoflux --text-encoder-weights`") from None
        return {f"text_encoder.{k}": v for k, v in encoder.state_dict().items()}

    def _check(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int], limit: float) -> None:
        if not len(prompts) == len(durations) == len(seeds):
            raise GeneratorError(f"got {len(prompts)} prompts, {len(durations)} durations and {len(seeds)} seeds; "
                                 "give one of each per event")
        for prompt, duration in zip(prompts, durations):
            if not 0 < duration <= limit:
                raise GeneratorError(f"TangoFlux makes clips of (0, {limit:g}] s, '{prompt}' asks for {duration:g} s; "
                                     "shorten the event or use --generator procedural")

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 mono clip per prompt, clip_length(duration, 44100) samples; all prompts denoised together."""
        self._check(prompts, durations, seeds, self.max_duration)
        if not prompts:
            return []
        model, vae, tokenizer = self._load()
        from cascade.generators.tangoflux_model import decode

        lengths = [clip_length(d, self.sample_rate) for d in durations]
        needed = [min(model.audio_seq_len, math.ceil(n / vae.hop_length)) for n in lengths]
        frames = [model.audio_seq_len] * len(needed) if self.all_frames else needed
        tokens = tokenizer(list(prompts), max_length=tokenizer.model_max_length, padding=True, truncation=True, return_tensors="pt")
        empty = tokenizer([""], max_length=tokens.input_ids.shape[1], padding="max_length", truncation=True, return_tensors="pt")
        conditioning = model.condition(tokens.input_ids.to(self.device), tokens.attention_mask.to(self.device),
                                       empty.input_ids.to(self.device), empty.attention_mask.to(self.device),
                                       torch.tensor(list(durations), dtype=torch.float32, device=self.device))
        longest = max(frames)
        noise = torch.stack([self._noise(seed, model)[:longest] for seed in seeds]).to(self.device)
        latents = model.sample(noise, torch.tensor(frames, device=self.device), *conditioning, self.steps, self.guidance_scale)
        clips = []
        for latent, count, length in zip(latents, needed, lengths):
            audio = decode(vae, latent[:count].T, self.decode_chunk).mean(0)
            clips.append(fit_length(audio.cpu().numpy().astype(np.float32), length))
        return clips

    @staticmethod
    def _noise(seed: int, model: Any) -> torch.Tensor:
        """The event's initial noise over the full latent length; a shorter clip takes its prefix."""
        generator = torch.Generator("cpu").manual_seed(int(seed))
        return torch.randn(model.audio_seq_len, model.in_channels, generator=generator)
