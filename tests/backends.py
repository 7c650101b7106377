"""Tiny real backends the tests build themselves: a TangoFlux checkpoint in the official layout with random
weights, and a sample library of synthetic sounds. Imported by test modules (not a test itself)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

WORDS = ["a", "dog", "barks", "bird", "sings", "on", "the", "right", "rain", "falls", "heavy", "car", "engine", "door", "slams", "people", "talk"]
TINY = {"num_layers": 1, "num_single_layers": 1, "in_channels": 4, "attention_head_dim": 32, "num_attention_heads": 1,
        "joint_attention_dim": 32, "audio_seq_len": 645, "max_duration": 30, "axes_dims_rope": [8, 12, 12],
        "text_encoder_name": "google/flan-t5-large"}
TINY_VAE = {"encoder_hidden_size": 8, "downsampling_ratios": [8, 16, 16], "channel_multiples": [1, 2, 2],
            "decoder_channels": 4, "decoder_input_channels": 4, "audio_channels": 2}

def text_encoder_folder(folder: Path):
    """A tiny T5 tokenizer (Unigram over the test words) and config, saved in `folder`; returns the config."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import T5Config, T5TokenizerFast

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(f"▁{w}", -1.0 - i / 100) for i, w in enumerate(WORDS)]
    vocab += [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz▁"]
    backend = Tokenizer(models.Unigram(vocab, unk_id=2))
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    T5TokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                    model_max_length=512).save_pretrained(folder)
    config = T5Config(vocab_size=len(vocab), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                      relative_attention_num_buckets=8, relative_attention_max_distance=16,
                      feed_forward_proj="gated-gelu", tie_word_embeddings=False)
    config.save_pretrained(folder)
    return config




def write_tiny_tangoflux(folder: Path) -> Path:
    """config.json, tangoflux.safetensors (no tied embed_tokens key, as published), vae.safetensors, text_encoder/."""
    import torch
    from diffusers import AutoencoderOobleck
    from safetensors.torch import save_file

    from cascade.generators.tangoflux_model import TangoFlux

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    text_config = text_encoder_folder(folder / "text_encoder")
    model = TangoFlux(TINY, text_config)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "text_encoder.encoder.embed_tokens.weight"}
    save_file(state, str(folder / "tangoflux.safetensors"))
    save_file(AutoencoderOobleck(**TINY_VAE).state_dict(), str(folder / "vae.safetensors"))
    (folder / "config.json").write_text(json.dumps(TINY))
    return folder


LIBRARY_RATE = 44100


def tone(freq: float, seconds: float, rate: int = LIBRARY_RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_tiny_library(folder: Path) -> Path:
    """A dog bark (wav), stereo rain at 48 kHz (flac), birdsong at 22.05 kHz (ogg) and a described file in a subfolder."""
    folder.mkdir(parents=True, exist_ok=True)
    bark = tone(600, 0.6) * (np.arange(int(0.6 * LIBRARY_RATE)) % 13230 < 4000)
    sf.write(folder / "dog_bark.wav", bark, LIBRARY_RATE)
    rain = np.random.default_rng(0).normal(0, 0.1, (int(1.5 * 48000), 2)).astype(np.float32)
    sf.write(folder / "rain_heavy.flac", rain, 48000)
    sf.write(folder / "BirdSong.ogg", tone(3000, 1.0, 22050), 22050)
    (folder / "misc").mkdir(exist_ok=True)
    sf.write(folder / "misc" / "x1.wav", tone(220, 0.5125), LIBRARY_RATE)
    (folder / "descriptions.json").write_text(json.dumps({"misc/x1.wav": "a cat meows"}))
    return folder


def write_tiny_dits(folder: Path) -> Path:
    """dit_<mode>.pt for every mode: random tiny networks over a small codec (1 s windows of 32 latent frames at 16 kHz),
    their output layer random too, so what they generate depends on their conditions and noise."""
    import torch

    from cascade.end_to_end import checkpoints
    from cascade.end_to_end.codec import CodecConfig
    from cascade.end_to_end.conditioning import MODES
    from cascade.end_to_end.dit import DitConfig
    from cascade.end_to_end.model import SpatialDiffusion

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    for mode in MODES:
        codec = CodecConfig(channels=1 if mode == "mono" else 4, n_fft=1000, hop=500, mels=8, iterations=2)
        config = DitConfig(latent=codec.latent_channels, width=32, depth=1, heads=2, patch=1, frame_rate=codec.frame_rate)
        model = SpatialDiffusion(config, mode)
        with torch.no_grad():
            model.dit.project_out.weight.normal_(0.0, 0.1)
        checkpoints.save(folder / f"dit_{mode}.pt", {"kind": "dit", "state": model.state_dict(), "config": {
            "dit": config.to_dict(), "codec": codec.to_dict(), "mode": mode, "frames": 32, "steps": 3, "guidance": 2.0}})
    return folder
