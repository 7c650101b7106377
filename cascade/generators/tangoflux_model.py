"""TangoFlux (declare-lab) rebuilt on diffusers and transformers, with its module names, so the official
checkpoint loads unchanged, plus a batched sampler whose clips do not depend on their batch-mates.

Checkpoint folder: `config.json`, `tangoflux.safetensors` (keys `text_encoder.*` (FLAN-T5-large encoder),
`fc.*`, `duration_emebdder.*` (sic), `transformer.*`), `vae.safetensors` (stable-audio-open's
AutoencoderOobleck, old-style weight-norm keys). Latents: 64 channels at 44100 / 2048 ≈ 21.5 frames/s.

Independence of batch-mates: the reference feeds the transformer every T5 position, pads included, and
always 645 latent frames. Here each event keeps exactly the text positions it would have alone (its own
tokens; for the unconditional half, "" padded to its own prompt length) and only its own latent frames;
everything a longer batch-mate adds is masked out of the attention keys.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from diffusers import AutoencoderOobleck, FluxTransformer2DModel
from torch import nn
from transformers import T5Config, T5EncoderModel

from cascade import progress

DEFAULT_ROPE_AXES = (16, 56, 56)  # diffusers' default, which TangoFlux uses: sums to the head dim 128


class StableAudioPositionalEmbedding(nn.Module):
    """Random Fourier features of a scalar in [0, 1] (stable-audio-tools): (B,) -> (B, dim + 1)."""

    def __init__(self, dim: int):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(dim // 2))

    def forward(self, times: torch.Tensor) -> torch.Tensor:
        times = times[..., None]
        freqs = times * self.weights[None] * 2 * math.pi
        return torch.cat((times, freqs.sin(), freqs.cos()), dim=-1)


class DurationEmbedder(nn.Module):
    """Seconds in [0, max_seconds] -> one conditioning token, (B,) -> (B, 1, dim)."""

    def __init__(self, dim: int, max_seconds: float, internal_dim: int = 256):
        super().__init__()
        self.max_seconds = max_seconds
        self.time_positional_embedding = nn.Sequential(
            StableAudioPositionalEmbedding(internal_dim), nn.Linear(internal_dim + 1, dim)
        )

    def forward(self, seconds: torch.Tensor) -> torch.Tensor:
        weight = cast(torch.Tensor, self.time_positional_embedding[1].weight)
        normalized = (seconds.clamp(0, self.max_seconds) / self.max_seconds).to(weight.dtype)
        return self.time_positional_embedding(normalized)[:, None, :]


class TangoFlux(nn.Module):
    """Text encoder, pooled-text projection, duration token and Flux transformer, named as in the checkpoint."""

    def __init__(self, config: dict[str, Any], text_config: T5Config):
        super().__init__()
        width = text_config.d_model
        joint = config.get("joint_attention_dim", 1024)
        self.audio_seq_len = int(config.get("audio_seq_len", 645))
        self.max_duration = float(config.get("max_duration", 30))
        self.in_channels = int(config.get("in_channels", 64))
        self.text_encoder = T5EncoderModel(text_config)
        self.fc = nn.Sequential(nn.Linear(width, joint), nn.ReLU())
        self.duration_emebdder = DurationEmbedder(width, self.max_duration)
        self.transformer = FluxTransformer2DModel(
            in_channels=self.in_channels,
            num_layers=config.get("num_layers", 6),
            num_single_layers=config.get("num_single_layers", 18),
            attention_head_dim=config.get("attention_head_dim", 128),
            num_attention_heads=config.get("num_attention_heads", 8),
            joint_attention_dim=joint,
            pooled_projection_dim=width,
            guidance_embeds=False,
            axes_dims_rope=tuple(config.get("axes_dims_rope", DEFAULT_ROPE_AXES)),
        )

    @torch.no_grad()
    def condition(
        self, ids: torch.Tensor, mask: torch.Tensor, empty_ids: torch.Tensor, empty_mask: torch.Tensor, seconds: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Guidance batch [unconditional; conditional] of 2B rows.

        ids, mask: (B, L) tokens of the prompts, right-padded; empty_ids, empty_mask: (1, L), "" padded to L;
        seconds: (B,). Returns text tokens (2B, L + 1, D) with the duration token last, their validity
        (2B, L + 1) bool, and pooled projections (2B, D).
        """
        batch, length = ids.shape
        text = self.text_encoder(input_ids=ids, attention_mask=mask)[0]
        empty = self.text_encoder(input_ids=empty_ids, attention_mask=empty_mask)[0].expand(batch, -1, -1)
        valid = mask.bool()
        pooled = (text * valid[..., None]).sum(1) / valid.sum(1, keepdim=True)
        empty_valid = empty_mask[0].bool()
        empty_pooled = empty[:, empty_valid].mean(1)
        own_length = torch.arange(length, device=ids.device)[None] < valid.sum(1, keepdim=True)
        duration = self.duration_emebdder(seconds).to(text.dtype).repeat(2, 1, 1)
        tokens = torch.cat([torch.cat([empty, text]), duration], dim=1)
        token_valid = torch.cat([torch.cat([own_length, valid]), torch.ones(2 * batch, 1, dtype=torch.bool, device=ids.device)], dim=1)
        return tokens, token_valid, self.fc(torch.cat([empty_pooled, pooled]))

    @torch.no_grad()
    def velocity(
        self, latents: torch.Tensor, sigma: float, tokens: torch.Tensor, token_valid: torch.Tensor,
        pooled: torch.Tensor, frames: torch.Tensor, guidance_scale: float,
    ) -> torch.Tensor:
        """Guided flow velocity for latents (B, N, C) at noise level sigma; frames (B,): each event's own length."""
        batch, length, _ = latents.shape
        dtype = self.transformer.dtype
        device = latents.device
        frame_valid = torch.arange(length, device=device)[None] < frames[:, None]
        keys = torch.cat([token_valid, frame_valid.repeat(2, 1)], dim=1)
        positions = torch.arange(length, device=device, dtype=torch.float32)[:, None].expand(length, 3)
        out = self.transformer(
            hidden_states=torch.cat([latents, latents]).to(dtype),
            encoder_hidden_states=tokens.to(dtype),
            pooled_projections=pooled.to(dtype),
            timestep=torch.full((2 * batch,), sigma, device=device, dtype=dtype),
            img_ids=positions,
            txt_ids=torch.zeros(tokens.shape[1], 3, device=device),
            joint_attention_kwargs={"attention_mask": keys[:, None, None, :]},
            return_dict=False,
        )[0].float()
        unconditional, conditional = out.chunk(2)
        return unconditional + guidance_scale * (conditional - unconditional)

    @torch.no_grad()
    def sample(
        self, noise: torch.Tensor, frames: torch.Tensor, tokens: torch.Tensor, token_valid: torch.Tensor,
        pooled: torch.Tensor, steps: int, guidance_scale: float,
    ) -> torch.Tensor:
        """Euler integration of the rectified flow from noise (sigma 1) to data (sigma 0), one forward per step."""
        sigmas = torch.linspace(1.0, 1.0 / steps, steps).tolist() + [0.0]
        latents = noise.float()
        with progress.task("TangoFlux denoising", total=steps) as bar:
            for sigma, following in zip(sigmas, sigmas[1:]):
                velocity = self.velocity(latents, sigma, tokens, token_valid, pooled, frames, guidance_scale)
                latents = latents + (following - sigma) * velocity
                bar.update()
        return latents


def vae_config_from_state_dict(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """AutoencoderOobleck arguments read off the weight shapes (the checkpoint ships no VAE config)."""
    blocks = sorted({int(k.split(".")[2]) for k in state if k.startswith("decoder.block.")})
    upsampling = [state[f"decoder.block.{i}.conv_t1.weight_v"].shape[2] // 2 for i in blocks]
    channels = state["decoder.conv2.weight_v"].shape[1]
    widths = [state[f"decoder.block.{i}.conv_t1.weight_v"].shape[0] for i in blocks]
    return {
        "encoder_hidden_size": state["encoder.conv1.weight_v"].shape[0],
        "downsampling_ratios": upsampling[::-1],
        "channel_multiples": [w // channels for w in widths[::-1]],
        "decoder_channels": channels,
        "decoder_input_channels": state["decoder.conv1.weight_v"].shape[1],
        "audio_channels": state["decoder.conv2.weight_v"].shape[0],
    }


@torch.no_grad()
def decode(vae: AutoencoderOobleck, latents: torch.Tensor, chunk: int | None = None, overlap: int = 16) -> torch.Tensor:
    """Latents (C, N) -> audio (channels, N * hop); with `chunk`, decode `chunk` frames at a time, each
    window widened by `overlap` frames on both sides and trimmed back, to bound memory."""
    dtype = next(vae.decoder.parameters()).dtype
    latents = latents[None].to(dtype)
    frames = latents.shape[-1]
    if chunk is None or frames <= chunk:
        return vae.decoder(latents)[0].float()
    hop = vae.hop_length
    pieces = []
    for start in range(0, frames, chunk):
        stop = min(start + chunk, frames)
        lo, hi = max(0, start - overlap), min(frames, stop + overlap)
        audio = vae.decoder(latents[..., lo:hi])[0]
        pieces.append(audio[:, (start - lo) * hop:(stop - lo) * hop].float())
    return torch.cat(pieces, dim=-1)
