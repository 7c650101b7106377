"""Speech from Debian's espeak-ng: a prompt's quoted words, or seeded sentences of common words, in a voice
its words suggest (a man, a woman, a child), filled to the event's length.

    SpeechGenerator().generate(['a woman says "the train is late"'], [3.0], [0])
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Sequence
from typing import Any

import numpy as np

from cascade.audio import audio_fault, resample
from cascade.generators import Generator, GeneratorError, clip_length
from cascade.seeds import stream

ESPEAK = "espeak-ng"
NATIVE_RATE = 22050  # Hz, espeak-ng's output
GAP_SECONDS = 0.35  # silence between sentences when a clip needs more than one
FADE_SECONDS = 0.01
TIMEOUT_SECONDS = 30.0
WORDS = ["time", "person", "year", "way", "day", "thing", "man", "world", "life", "hand", "part", "child", "eye", "woman", "place", "work", "week", "case", "point", "number", "group", "problem", "fact", "water", "room", "mother", "area", "money", "story", "month", "lot", "right", "study", "book", "word", "business", "issue", "side", "kind", "head", "house", "service", "friend", "father", "power", "hour", "game", "line", "end", "member", "law", "car", "city", "name", "team", "minute", "idea", "kid", "body", "back", "parent", "face", "level", "office", "door", "health", "art", "war", "history", "party", "result", "change", "morning", "reason", "research", "girl", "guy", "moment", "air", "teacher", "force", "education", "open", "walk", "carry", "sing", "quickly", "slowly", "bright", "green", "under", "over", "through", "seven", "twelve", "purple", "silver", "garden", "window", "river", "mountain"]
VOICES = {"female": ("en-us+f3", "en-gb+f2", "en-us+f5", "en-gb-x-rp+f4"),
          "male": ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us+m3"),
          "child": ("en-us+f5", "en-gb+f4")}
_FEMALE = re.compile(r"\b(?:woman|women|girl|girls|lady|ladies|mother|mom|mum|she|her|female|grandmother|wife|daughter|sister)\b", re.I)
_MALE = re.compile(r"\b(?:man|men|boy|boys|gentleman|father|dad|he|his|male|grandfather|husband|son|brother|guy)\b", re.I)
_CHILD = re.compile(r"\b(?:child|children|kid|kids|toddler|baby)\b", re.I)
QUOTED = re.compile(r"[\"“”]([^\"“”]{1,400})[\"“”]|(?<!\w)['‘]([^'‘’]{2,400})['’](?!\w)")


def _voice_kind(prompt: str) -> str | None:
    for kind, pattern in (("child", _CHILD), ("female", _FEMALE), ("male", _MALE)):
        if pattern.search(prompt):
            return kind
    return None


def _decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and rate of espeak-ng's 16-bit PCM WAV (its streamed header's sizes are not trusted)."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise GeneratorError("espeak-ng returned no WAV audio")
    rate = struct.unpack_from("<I", data, 24)[0]
    start = data.find(b"data", 12) + 8
    body = data[start : start + (len(data) - start) // 2 * 2]
    return np.frombuffer(body, dtype="<i2").astype(np.float32) / 32768.0, int(rate)


class SpeechGenerator(Generator):
    """Spoken clips from espeak-ng (Debian package `espeak-ng`), deterministic per seed, at 22.05 kHz."""

    name = "speech"
    sample_rate = NATIVE_RATE
    cache_tag = "espeak-ng"

    def __init__(self) -> None:
        if shutil.which(ESPEAK) is None:
            raise GeneratorError("the speech generator needs espeak-ng: apt-get install espeak-ng (or choose --generator procedural)")

    def _plan(self, prompt: str, seed: int) -> tuple[str | None, str, int, int]:
        """(quoted text or None, voice, words per minute, pitch 0-99) for a prompt and seed."""
        rng = stream(seed, "speech-voice")
        kind = _voice_kind(prompt) or str(rng.choice(["female", "male"]))
        voice = str(rng.choice(VOICES[kind]))
        quoted = QUOTED.search(prompt)
        text = next((g for g in quoted.groups() if g), None) if quoted else None
        return text, voice, int(rng.integers(130, 190)), int(rng.integers(30, 70)) + (25 if kind == "child" else 0)

    def _speak(self, text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
        try:
            done = subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-p", str(min(pitch, 99)), "--stdout", text],
                                  capture_output=True, timeout=TIMEOUT_SECONDS, check=True)
        except (OSError, subprocess.SubprocessError) as err:
            raise GeneratorError(f"espeak-ng failed ({type(err).__name__}); check that `espeak-ng --version` runs") from None
        audio, rate = _decode_wav(done.stdout)
        return resample(audio, rate, self.sample_rate)

    def detail(self, prompt: str, duration: float, seed: int) -> dict[str, Any]:
        text, voice, speed, pitch = self._plan(prompt, seed)
        return {"voice": voice, "words_per_minute": speed, "pitch": pitch, **({"text": text} if text else {})}

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 clip per prompt, exactly clip_length(duration, 22050) samples: the quoted words (repeated
        after a pause if short), or seeded sentences until the clip is full; a short fade at a cut."""
        if not len(prompts) == len(durations) == len(seeds):
            raise GeneratorError(f"got {len(prompts)} prompts, {len(durations)} durations and {len(seeds)} seeds; give one of each per event")
        return [self._clip(p, float(d), int(s)) for p, d, s in zip(prompts, durations, seeds)]

    def _clip(self, prompt: str, duration: float, seed: int) -> np.ndarray:
        text, voice, speed, pitch = self._plan(prompt, seed)
        length = clip_length(duration, self.sample_rate)
        words = stream(seed, "speech-words")
        gap = np.zeros(int(GAP_SECONDS * self.sample_rate), np.float32)
        pieces: list[np.ndarray] = []
        while sum(p.size for p in pieces) < length:
            sentence = text or " ".join(words.choice(WORDS, size=int(words.integers(5, 12))))
            pieces += [self._speak(sentence, voice, speed, pitch), gap]
        clip = np.concatenate(pieces)[:length].copy()
        fade = min(int(FADE_SECONDS * self.sample_rate), length)
        clip[length - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        peak = float(np.abs(clip).max())
        if peak > 0:
            clip *= 0.7 / peak
        fault = audio_fault(clip, length, mono=True)
        if fault:
            raise GeneratorError(f"espeak-ng gave unusable audio for {prompt!r}: {fault}")
        return clip
