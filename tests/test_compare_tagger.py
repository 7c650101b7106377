"""The comparison's sound tagger: it tells a tone from noise, its labels follow the taxonomy, its cache returns the same
tagger, and its Frechet distance matches the closed form for Gaussians."""

import numpy as np
import pytest
import torch

from benchmarks.compare_scenes import held_out_scenes
from benchmarks.tagger import EMBEDDING, ESPEAK, cached, clean_clips, event_label, fit, frechet_distance, labels_of, reverberate
from cascade.dataset.config import DatasetConfig

RATE = 16000


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """A tiny network trains faster on one thread than on two shared ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tone(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(rng.uniform(0.5, 2.0) * RATE)) / RATE
    return np.sin(2 * np.pi * rng.uniform(300, 3000) * t + rng.uniform(0, 2 * np.pi)) * rng.uniform(0.05, 0.9)


def _noise(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(int(rng.uniform(0.5, 2.0) * RATE)) * rng.uniform(0.01, 0.5)


@pytest.mark.slow
def test_tagger_tells_unseen_tones_from_noise():
    rng = np.random.default_rng(0)
    clips = [_tone(rng) for _ in range(12)] + [_noise(rng) for _ in range(12)]
    tagger = fit(clips, ["tone"] * 12 + ["noise"] * 12, RATE, ["noise", "tone"])
    test = [_tone(rng) for _ in range(8)] + [_noise(rng) for _ in range(8)]
    assert tagger.predict(test, RATE) == ["tone"] * 8 + ["noise"] * 8
    assert tagger.embed(test, RATE).shape == (16, EMBEDDING)


def test_labels_are_signal_models_and_espeak_for_speech():
    assert event_label("doorbell", "procedural") == event_label("bell", "procedural") == "bell"
    assert event_label("baby", "procedural") == "speech" and event_label("speech", "speech") == ESPEAK
    labels = labels_of(DatasetConfig())
    assert ESPEAK in labels and "dog" in labels and "doorbell" not in labels and len(labels) == len(set(labels))


def test_tagger_clips_share_no_seed_with_the_held_out_scenes():
    _, seeds = clean_clips(["dog", "siren", ESPEAK], "train")
    held = {e.generation.seed for h in held_out_scenes(30) for e in h.scene.events}
    assert not held & set(seeds)
    assert clean_clips(["dog"], "train")[1] != clean_clips(["dog"], "held-out")[1], "train and held-out clips differ"


@pytest.mark.slow
def test_cached_tagger_is_trained_once_and_read_back(tmp_path):
    first = cached(["dog", "siren"], per_label=3, held_out=2, folder=tmp_path, progress=lambda _: None)
    assert len(list(tmp_path.glob("tagger-*.pt"))) == 1 and first.held_out_clips == 4 and 0.0 <= first.held_out_accuracy <= 1.0
    again = cached(["dog", "siren"], per_label=3, held_out=2, folder=tmp_path, progress=lambda _: None)
    clips, _ = clean_clips(["dog", "siren"], "probe")
    assert np.allclose(first.embed(clips, RATE), again.embed(clips, RATE))


def test_reverberation_keeps_the_length_and_adds_a_decaying_tail_at_a_bounded_level():
    rng = np.random.default_rng(2)
    for _ in range(20):
        impulse = np.zeros(2 * RATE)
        impulse[0] = 1.0
        response = reverberate(impulse, rng).astype(np.float64)
        first_noise = response[0] - 1.0
        noise_energy = np.sum(response**2) - 1.0 - 2.0 * first_noise  # the unit direct path taken out of the first tap
        assert response.shape == impulse.shape
        assert 10 ** (-12.01 / 10) < noise_energy < 10 ** (6.01 / 10), "reverberant energy -12 to +6 dB re the direct path"
        assert np.sum(response[1 : RATE // 10] ** 2) > np.sum(response[RATE // 10 : RATE // 5] ** 2), "it decays"


def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4000, 4))
    b = rng.standard_normal((4000, 4)) * 2.0 + np.array([1.0, 0.0, 0.0, 2.0])
    # |mu_a - mu_b|² + tr(I + 4I - 2·2I) = 5 + 4 · 1
    assert frechet_distance(a, b) == pytest.approx(9.0, rel=0.05)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_no_learned_model_trained_on_a_tagger_clip(monkeypatch):
    """The learned models' clips come from seeds below 2^31 (cascade.end_to_end.data), the tagger's from 63-bit draws
    that all lie above it: the two sets cannot share a clip."""
    from cascade.end_to_end.data import SyntheticSpec, synthetic_examples
    from cascade.generators.procedural import ProceduralGenerator

    seen: list[int] = []
    synthesise = ProceduralGenerator.synthesise
    monkeypatch.setattr(ProceduralGenerator, "synthesise", lambda self, model, seconds, seed: seen.append(seed) or synthesise(self, model, 0.1, seed))
    list(synthetic_examples(6, 0, SyntheticSpec(room_share=0.0, moving_share=0.0)))
    assert len(seen) >= 6 and max(seen) < 2**31
    for purpose in ("train", "held-out"):
        _, seeds = clean_clips(["dog", "siren", "bell"] * 20, purpose)
        assert min(seeds) >= 2**31
