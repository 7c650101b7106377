"""Speech generator: espeak-ng's voice of the prompt's quoted words, filled to the event's length."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cascade import generators
from cascade.errors import GeneratorError
from cascade.generators.speech import SpeechGenerator

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian's espeak-ng")


def _voiced_seconds(clip: np.ndarray, rate: int) -> float:
    frames = clip[: clip.size // 441 * 441].reshape(-1, 441)
    return float((np.sqrt(np.mean(frames**2, axis=1)) > 0.01).sum() * 441 / rate)


def test_quoted_words_are_spoken_in_the_voice_the_prompt_names():
    speech = generators.get("speech")
    detail = speech.detail('a woman says "the train is late"', 2.0, 0)
    assert detail["text"] == "the train is late" and "+f" in detail["voice"]
    assert "+f" not in speech.detail("a man speaks", 2.0, 0)["voice"]


def test_a_long_event_is_filled_with_speech_not_silence():
    speech = SpeechGenerator()
    [clip] = speech.generate(["a man talks"], [6.0], [3])
    assert clip.shape == (6 * speech.sample_rate,) and _voiced_seconds(clip, speech.sample_rate) > 3.0


def test_without_espeak_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GeneratorError, match="apt-get install espeak-ng"):
        SpeechGenerator()


@pytest.mark.slow
def test_auto_without_tangoflux_sends_speech_prompts_to_espeak(monkeypatch):
    import cascade
    from cascade.generators import auto

    monkeypatch.setattr(auto, "choose", lambda path=None: ("procedural", "no TangoFlux weights"))
    result = cascade.render_scene('a woman says "the train is late, sorry" while a dog barks', cache=False)
    assert {e.id: e.generation.backend for e in result.scene.events if e.generation} == {"speech": "speech", "dog": "procedural"}
    assert 'says "the train is late, sorry"' in result.scene.events[0].description
