"""The procedural generator: the clip contract, keyword matching, and the physics each signal model claims."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import stft, welch

from cascade import generators
from cascade.generators import GeneratorError
from cascade.generators.procedural import ProceduralGenerator, match_class
from cascade.generators.sounds import SOUNDS
from cascade.taxonomy import TEXTURE as FALLBACK

SR = 44100
GEN = ProceduralGenerator()

# one natural prompt per class
PROMPTS = {
    "dog": "a dog barks", "cat": "a cat meows", "cricket": "crickets at night", "bird": "a bird sings",
    "mosquito": "a mosquito", "insect": "a bee buzzes", "thunder": "thunder", "rain": "rain", "wind": "wind",
    "ocean": "ocean waves", "drip": "a dripping tap", "stream": "a babbling brook", "fire": "a campfire",
    "siren": "a siren", "horn": "a car horn", "engine": "an engine idling", "car": "a car drives past",
    "helicopter": "a helicopter", "aircraft": "a jet airliner", "bicycle": "a bicycle bell",
    "bell": "a church bell", "phone": "a telephone rings", "alarm": "an alarm beeps", "clock": "a clock ticks",
    "knock": "a knock", "door": "a creaking door", "footsteps": "footsteps", "applause": "applause",
    "glass": "glass shatters", "typing": "typing", "crowd": "a crowd", "speech": "a woman talks",
    "gunshot": "a gunshot", "explosion": "an explosion", FALLBACK: "a kettle hums",
}


def clip(sound: str, duration: float = 10.0, seed: int = 0) -> np.ndarray:
    return GEN.generate([PROMPTS[sound]], [duration], [seed])[0].astype(np.float64)


def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return welch(x, SR, nperseg=8192)


def centroid(x: np.ndarray) -> float:
    f, p = spectrum(x)
    return float((f * p).sum() / p.sum())


def envelope(x: np.ndarray, hop: float) -> np.ndarray:
    """RMS over consecutive frames of `hop` seconds (a whole number of samples)."""
    size = round(hop * SR)
    assert abs(size - hop * SR) < 1e-6
    return np.sqrt((x[: len(x) // size * size].reshape(-1, size) ** 2).mean(axis=1))


def autocorrelation_peak(env: np.ndarray, hop: float, low: float, high: float) -> float:
    """Lag in seconds, within [low, high], of the highest autocorrelation of the mean-removed envelope."""
    e = env - env.mean()
    ac = np.correlate(e, e, "full")[len(e) - 1 :]
    lags = np.arange(int(low / hop), int(high / hop) + 1)
    return float(lags[np.argmax(ac[lags])] * hop)


# --- the clip contract ---------------------------------------------------------------------------

def test_registered_under_its_name():
    generator = generators.get("procedural")
    assert isinstance(generator, ProceduralGenerator)
    assert generator.name == "procedural" and generator.sample_rate == 44100


def test_prompts_cover_every_class():
    assert set(PROMPTS) == set(SOUNDS)
    assert len(SOUNDS) - 1 >= 22


@pytest.mark.parametrize("sound", sorted(SOUNDS))
def test_every_class_keeps_the_clip_contract(sound):
    first, same, other = GEN.generate([PROMPTS[sound]] * 3, [2.0] * 3, [3, 3, 4])
    assert first.dtype == np.float32 and first.ndim == 1 and len(first) == 88200
    assert np.isfinite(first).all()
    assert np.abs(first).max() == pytest.approx(10 ** (-3 / 20), abs=0.01)  # -3 dBFS, so <= 1
    assert first[0] == 0.0 and first[-1] == 0.0  # faded ends: no click
    assert np.array_equal(first, same)
    assert not np.allclose(first, other)
    assert GEN.detail(PROMPTS[sound], 2.0, 3)["model"] == sound


@pytest.mark.parametrize("duration", [0.37, 7.123, 0.01, 1 / 3])
@pytest.mark.parametrize("sound", ["dog", "rain", "clock", "glass", "speech"])
def test_exact_length_for_odd_durations(sound, duration):
    (audio,) = GEN.generate([PROMPTS[sound]], [duration], [1])
    assert len(audio) == int(round(duration * 44100))
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0


def test_batch_returns_one_clip_per_prompt_in_order():
    clips = GEN.generate(["rain", "a dog barks"], [0.5, 1.5], [0, 0])
    assert [len(c) for c in clips] == [22050, 66150]
    assert np.array_equal(clips[1], GEN.generate(["a dog barks"], [1.5], [0])[0])


@pytest.mark.parametrize("prompts, durations, seeds", [
    (["rain", "wind"], [1.0], [0, 1]),
    (["rain"], [1.0, 2.0], [0]),
    (["rain"], [1.0], []),
    (["rain"], [0.0], [0]),
    (["rain"], [-1.0], [0]),
    (["rain"], [60.5], [0]),
    (["rain"], [float("nan")], [0]),
    (["rain"], [float("inf")], [0]),
    (["rain"], [1.0], [-1]),
    (["rain"], [1.0], [1.5]),
    ([None], [1.0], [0]),
])
def test_bad_input_is_a_one_line_generator_error(prompts, durations, seeds):
    with pytest.raises(GeneratorError) as error:
        GEN.generate(prompts, durations, seeds)
    assert "\n" not in str(error.value)


def test_sixty_seconds_is_allowed():
    (audio,) = GEN.generate(["a clock ticks"], [60.0], [0])
    assert len(audio) == 60 * 44100


# --- matching ------------------------------------------------------------------------------------

@pytest.mark.parametrize("description, sound", [
    ("a dog barks behind me", "dog"), ("dogs barking", "dog"), ("a puppy yelps", "dog"), ("a wolf howls", "dog"),
    ("birds singing", "bird"), ("a sparrow chirps on the right", "bird"), ("crickets chirping", "cricket"),
    ("two cats meowing", "cat"), ("someone knocks on the door", "knock"), ("knocking", "knock"),
    ("a door creaks open", "door"), ("heavy rain", "rain"), ("it is raining", "rain"),
    ("a car drives past", "car"), ("cars passing on the highway", "car"), ("an ambulance", "siren"),
    ("a police car with its siren", "siren"), ("a fire truck", "siren"), ("a car engine idling", "engine"),
    ("a helicopter overhead", "helicopter"), ("a plane flies over", "aircraft"), ("church bells ringing", "bell"),
    ("a bicycle bell rings", "bicycle"), ("the phone rings", "phone"), ("a smoke alarm beeping", "alarm"),
    ("an alarm clock", "alarm"), ("the clock is ticking", "clock"), ("footsteps approach", "footsteps"),
    ("a man walking", "footsteps"), ("the audience applauds", "applause"), ("people clapping", "applause"),
    ("logs crackling in the fireplace", "fire"), ("a window shatters", "glass"), ("a bottle breaks", "glass"),
    ("bees buzzing", "insect"), ("a mosquito whines", "mosquito"), ("typing on a keyboard", "typing"),
    ("two people talking", "crowd"), ("a woman speaks", "speech"), ("a crowd murmurs", "crowd"),
    ("gunshots", "gunshot"), ("shots fired", "gunshot"), ("a bomb explodes", "explosion"),
    ("thunder rumbles in the distance", "thunder"), ("the wind howls", "wind"), ("waves crash on the shore", "ocean"),
    ("a stream flows", "stream"), ("running water", "stream"), ("water drips from a leaky faucet", "drip"),
    ("a car horn honks", "horn"), ("a strange hum", FALLBACK), ("", FALLBACK),
])
def test_descriptions_match_their_class(description, sound):
    assert match_class(description) == sound


@pytest.mark.parametrize("description", ["a catalogue", "the carpet", "a raincoat", "brainstorm", "scattered"])
def test_keywords_match_whole_words_only(description):
    assert match_class(description) == FALLBACK


# --- physics of the signal models ----------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_birdsong_is_high_pitched(seed):
    assert centroid(clip("bird", seed=seed)) > 2000


@pytest.mark.parametrize("sound", ["thunder", "engine", "explosion"])
def test_rumbles_are_low(sound):
    assert all(centroid(clip(sound, seed=s)) < 500 for s in (0, 1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clock_ticks_exactly_once_a_second(seed):
    hop = 49 / SR  # 900 frames a second
    env = envelope(clip("clock", seed=seed), hop)
    assert autocorrelation_peak(env, hop, 0.5, 1.5) == pytest.approx(1.0, abs=hop)
    loud = env > 0.3 * env.max()
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) * hop
    assert len(onsets) in (9, 10)
    assert np.allclose(np.diff(onsets), 1.0, atol=2 * hop)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_footsteps_walk_at_about_two_steps_a_second(seed):
    hop = 225 / SR
    period = autocorrelation_peak(envelope(clip("footsteps", seed=seed), hop), hop, 0.3, 0.8)
    assert 1.7 <= 1 / period <= 2.3


@pytest.mark.parametrize("seed", range(6))
def test_siren_pitch_sweeps(seed):
    f, _, z = stft(clip("siren", seed=seed), SR, nperseg=4096)
    dominant = f[np.abs(z).argmax(axis=0)[2:-2]]
    assert dominant.max() - dominant.min() > 300


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_phone_rings_in_the_ring_tone_band_with_pauses(seed):
    x = clip("phone", seed=seed)
    f, p = spectrum(x)
    assert p[(f >= 370) & (f <= 540)].sum() > 0.9 * p.sum()  # ring tone pairs: 400+450 Hz (UK), 440+480 Hz (US)
    env = envelope(x, 0.05)
    assert (env < 0.01 * env.max()).mean() > 0.3  # a ringer pauses between rings


def flatness(x: np.ndarray, low: float = 200, high: float = 12000) -> float:
    f, p = spectrum(x)
    band = p[(f >= low) & (f <= high)]
    return float(np.exp(np.log(band).mean()) / band.mean())


def test_rain_is_broadband_and_tones_are_not():
    assert all(flatness(clip("rain", seed=s)) > 0.5 for s in (0, 1))
    assert flatness(clip("siren")) < 0.1 and flatness(clip("phone")) < 0.1


@pytest.mark.parametrize("sound, low, high", [("cricket", 3500, 5500), ("alarm", 2000, 4000), ("mosquito", 400, 800),
                                              ("insect", 150, 300)])
def test_dominant_frequency_is_that_of_the_source(sound, low, high):
    f, p = spectrum(clip(sound, seed=5))
    assert low <= f[p.argmax()] <= high


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_speech_has_a_syllabic_rhythm(seed):
    hop = 0.01
    env = envelope(clip("speech", duration=20.0, seed=seed), hop)
    modulation = np.abs(np.fft.rfft(env - env.mean()))
    rates = np.fft.rfftfreq(len(env), hop)
    above_phrases = rates >= 1.0  # below 1 Hz lies the rhythm of phrases and pauses
    assert 3.0 <= rates[above_phrases][modulation[above_phrases].argmax()] <= 7.0  # syllables come 3-7 a second


def test_helicopter_blades_slap_at_the_blade_passing_rate():
    hop = 90 / SR
    period = autocorrelation_peak(envelope(clip("helicopter"), hop), hop, 0.03, 0.12)
    assert 12 <= 1 / period <= 25


@pytest.mark.parametrize("sound", ["dog", "knock", "horn", "gunshot"])
def test_intermittent_sources_fall_silent_between_events(sound):
    env = envelope(clip(sound, seed=2), 0.05)
    assert (env < 0.01 * env.max()).mean() > 0.2


def test_vehicle_is_loudest_as_it_passes():
    env = envelope(clip("car", seed=3), 0.1)
    assert 0.3 <= env.argmax() / len(env) <= 0.7
    assert env.max() > 3 * max(env[0], env[-1])
