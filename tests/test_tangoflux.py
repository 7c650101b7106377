"""TangoFlux generator on a tiny random checkpoint written in the official layout, loaded by the real loader."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")
from backends import TINY, text_encoder_folder, write_tiny_tangoflux

from cascade.generators import GeneratorError
from cascade.generators.tangoflux import TangoFluxGenerator
from cascade.generators.tangoflux_model import TangoFlux

pytestmark = pytest.mark.slow  # a browser, a sentence model or many renders: `pytest -m 'not slow'` skips it

# Names every official tangoflux.safetensors / vae.safetensors holds (module tree of declare-lab/TangoFlux).
OFFICIAL_KEYS = [
    "fc.0.weight", "fc.0.bias",
    "duration_emebdder.time_positional_embedding.0.weights",
    "duration_emebdder.time_positional_embedding.1.weight", "duration_emebdder.time_positional_embedding.1.bias",
    "text_encoder.shared.weight", "text_encoder.encoder.block.0.layer.0.SelfAttention.q.weight",
    "text_encoder.encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
    "text_encoder.encoder.block.0.layer.1.DenseReluDense.wi_0.weight", "text_encoder.encoder.final_layer_norm.weight",
    "transformer.x_embedder.weight", "transformer.context_embedder.weight",
    "transformer.time_text_embed.timestep_embedder.linear_1.weight", "transformer.time_text_embed.text_embedder.linear_1.weight",
    "transformer.transformer_blocks.0.attn.to_q.weight", "transformer.transformer_blocks.0.attn.add_q_proj.weight",
    "transformer.transformer_blocks.0.ff_context.net.2.weight", "transformer.single_transformer_blocks.0.proj_mlp.weight",
    "transformer.single_transformer_blocks.0.attn.norm_q.weight", "transformer.norm_out.linear.weight", "transformer.proj_out.weight",
]
OFFICIAL_VAE_KEYS = ["decoder.conv1.weight_g", "decoder.conv1.weight_v", "decoder.block.0.snake1.alpha",
                     "decoder.block.0.conv_t1.weight_v", "decoder.block.0.res_unit1.conv1.weight_g", "decoder.conv2.weight_v",
                     "encoder.conv1.weight_v"]



@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_tiny_tangoflux(tmp_path_factory.mktemp("tangoflux"))


@pytest.fixture(scope="module")
def generator(checkpoint):
    return TangoFluxGenerator(path=checkpoint, steps=3, device="cpu")


PROMPTS = ["a dog barks", "rain falls heavy on the car", "a bird sings"]
DURATIONS = [0.5, 2.0, 1.0]
SEEDS = [11, 22, 33]


def test_clips_have_exact_lengths(generator):
    clips = generator.generate(PROMPTS, DURATIONS, SEEDS)
    assert [c.shape for c in clips] == [(22050,), (88200,), (44100,)]
    assert all(c.dtype == np.float32 and np.isfinite(c).all() and np.abs(c).max() > 0 for c in clips)


def test_clip_depends_only_on_its_prompt_duration_and_seed(generator):
    batch = generator.generate(PROMPTS, DURATIONS, SEEDS)
    alone = generator.generate(PROMPTS[2:], DURATIONS[2:], SEEDS[2:])[0]
    mixed = generator.generate(["people talk", PROMPTS[2]], [3.0, DURATIONS[2]], [5, SEEDS[2]])[1]
    scale = np.abs(alone).max()
    np.testing.assert_allclose(batch[2], alone, atol=1e-4 * scale)
    np.testing.assert_allclose(mixed, alone, atol=1e-4 * scale)
    other_seed = generator.generate(PROMPTS[2:], DURATIONS[2:], [34])[0]
    assert np.abs(other_seed - alone).max() > 0.05 * scale


def test_a_batch_is_one_transformer_call_per_step(generator):
    model = generator._load()[0]
    batches = []
    handle = model.transformer.register_forward_hook(lambda module, args, kwargs, out: batches.append(kwargs["hidden_states"].shape[0]),
                                                     with_kwargs=True)
    try:
        generator.generate(PROMPTS, DURATIONS, SEEDS)
    finally:
        handle.remove()
    assert batches == [2 * len(PROMPTS)] * generator.steps


def test_chunked_decoding_matches_whole_decoding(checkpoint, generator):
    chunked = TangoFluxGenerator(path=checkpoint, steps=3, device="cpu", decode_chunk=8)
    whole = generator.generate(PROMPTS[1:2], DURATIONS[1:2], SEEDS[1:2])[0]
    np.testing.assert_allclose(chunked.generate(PROMPTS[1:2], DURATIONS[1:2], SEEDS[1:2])[0], whole,
                               atol=1e-5 * np.abs(whole).max())


def test_cache_tag_names_what_changes_the_clips(checkpoint, generator):
    other = TangoFluxGenerator(path=checkpoint, steps=4, device="cpu")
    assert str(checkpoint) in generator.cache_tag and other.cache_tag != generator.cache_tag
    assert TangoFluxGenerator(path=checkpoint, steps=3, device="cpu").cache_tag == generator.cache_tag


def test_all_frames_runs_the_full_latent(checkpoint):
    full = TangoFluxGenerator(path=checkpoint, steps=1, device="cpu", all_frames=True)
    lengths = []
    handle = full._load()[0].transformer.register_forward_hook(
        lambda module, args, kwargs, out: lengths.append(kwargs["hidden_states"].shape[1]), with_kwargs=True)
    clip = full.generate(["a dog barks"], [0.25], [1])[0]
    handle.remove()
    assert lengths == [TINY["audio_seq_len"]] and clip.shape == (11025,)


def test_each_event_gets_its_own_duration_token(checkpoint):
    full = TangoFluxGenerator(path=checkpoint, steps=1, device="cpu", all_frames=True)
    short, long, same = full.generate(["a dog barks"] * 3, [1.0, 2.0, 1.0], [7, 7, 7])
    assert np.abs(long[:44100] - short).max() > 1e-3 * np.abs(short).max()
    np.testing.assert_allclose(same, short, atol=1e-5 * np.abs(short).max())


def test_state_dict_uses_the_official_names(generator):
    model, vae, _ = generator._load()
    keys = set(model.state_dict())
    assert {k.split(".")[0] for k in keys} == {"text_encoder", "fc", "duration_emebdder", "transformer"}
    assert set(OFFICIAL_KEYS) <= keys
    assert set(OFFICIAL_VAE_KEYS) <= set(vae.state_dict())


def test_state_dict_equals_the_reference_package(tmp_path):
    reference = pytest.importorskip("tangoflux.model")
    from transformers import T5EncoderModel

    text_config = text_encoder_folder(tmp_path / "t5")
    T5EncoderModel(text_config).save_pretrained(tmp_path / "t5")  # the reference class loads the encoder's own weights
    config = dict(TINY, attention_head_dim=128, text_encoder_name=str(tmp_path / "t5"))
    config.pop("axes_dims_rope")  # the reference keeps diffusers' default rope axes, which need head dim 128
    ours = TangoFlux(config, text_config)
    assert set(ours.state_dict()) == set(reference.TangoFlux(config).state_dict())


def test_durations_outside_the_model_range_are_refused(generator):
    with pytest.raises(GeneratorError, match=r"\(0, 30\] s"):
        generator.generate(["a dog barks"], [31.0], [0])
    with pytest.raises(GeneratorError, match="one of each"):
        generator.generate(["a dog barks", "rain"], [1.0], [0])


def test_missing_weights_name_the_place_and_the_fix(tmp_path, monkeypatch):
    nowhere = tmp_path / "nowhere"
    with pytest.raises(GeneratorError) as err:
        TangoFluxGenerator(path=nowhere)
    assert str(nowhere) in str(err.value) and "cascade models download tangoflux" in str(err.value)
    monkeypatch.setenv("CASCADE_TANGOFLUX_PATH", str(nowhere))
    with pytest.raises(GeneratorError, match="nowhere.*cascade models download tangoflux"):
        TangoFluxGenerator()


def test_missing_text_encoder_is_reported(checkpoint, tmp_path):
    with pytest.raises(GeneratorError, match="FLAN-T5.*cascade models download tangoflux"):
        TangoFluxGenerator(path=checkpoint, text_encoder_path=tmp_path)
