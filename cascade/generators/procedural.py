"""The offline procedural generator: a description picks a signal model by keywords, a seed picks its variation.

    gen = ProceduralGenerator()
    [clip] = gen.generate(["a dog barks behind me"], [3.0], [0])   # float32, 132300 samples at 44.1 kHz
    match_class("someone knocks on the door")                      # 'knock'
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence

import numpy as np

from cascade.audio import fit_length
from cascade.generators import Generator, GeneratorError, clip_length
from cascade.limits import MAX_EVENT_DURATION

PEAK_DBFS = -3.0
FADE_SECONDS = 0.005

FALLBACK = "texture"  # the filtered-noise model for anything no class matches

_INFLECTION = r"(?:s|es|ed|d|ing|er|ers)?"

# class -> (weight, regex stems); a stem matches a whole word with common inflections appended.
# The class with the highest total weight wins; ties go to the class listed first.
KEYWORDS: dict[str, list[tuple[float, list[str]]]] = {
    "siren": [(3, ["siren", "ambulance", "police", "fire ?truck", "fire engine", "emergency vehicle", "cop car", "wail"]),
              (1, ["emergency"])],
    "explosion": [(2, ["explo(?:sion|de|des|ded|ding)", "blast", "bomb", "boom", "detonat(?:e|es|ed|ion)", "grenade",
                       "firework", "kaboom"])],
    "gunshot": [(2, ["gun", "gunshot", "gunfire", "shot", "shoot", "rifle", "pistol", "revolver", "bullet"])],
    "thunder": [(2, ["thunder", "thunderstorm", "thunderclap", "lightning"]), (1, ["storm", "rumbl(?:e|es|ing)"])],
    "rain": [(2, ["rain", "rainfall", "raindrop", "rainstorm", "drizzl(?:e|es|ing)", "downpour", "shower"])],
    "wind": [(2, ["wind", "windy", "gust", "breeze", "gale", "blowing"]), (1, ["howl", "blow", "blows"])],
    "ocean": [(2, ["ocean", "sea", "seaside", "wave", "surf", "beach", "shore", "seashore", "tide", "breaker"])],
    "drip": [(2, ["drip", "dripp(?:ed|ing)", "droplet", "leak", "leaky", "faucet"]), (1, ["drop", "tap", "sink"])],
    "stream": [(2, ["stream", "river", "brook", "creek", "waterfall", "fountain", "flowing water", "running water", "trickl(?:e|es|ing)",
                    "burbl(?:e|es|ing)"]), (1, ["water", "flow", "babbl(?:e|es|ing)"])],
    "fire": [(2, ["fire", "fireplace", "campfire", "bonfire", "flame", "crackl(?:e|es|ing)", "blaze", "ember", "burning",
                  "hearth"])],
    "dog": [(2, ["dog", "doggy", "pupp(?:y|ies)", "hound", "bark", "yelp", "woof", "growl", "wolf", "wolves", "bow ?wow"])],
    "cat": [(2, ["cat", "kitten", "kitty", "kitties", "meow", "miaow", "mew", "purr"])],
    "cricket": [(2, ["cricket", "grasshopper", "cicada"])],
    "bird": [(2, ["bird", "birdsong", "chirp", "tweet", "songbird", "sparrow", "robin", "blackbird", "finch", "warbl(?:e|es|ing)",
                  "nightingale", "canary", "twitter"]), (1, ["sing", "sings", "singing", "song"])],
    "mosquito": [(3, ["mosquito(?:e?s)?", "gnat"]), (1, ["whine"])],
    "bee": [(2, ["bee", "bumblebee", "wasp", "hornet", "insect", "buzz", "swarm"]), (1, ["fly", "flies"])],
    "horn": [(3, ["car horn", "horn", "honk", "hooter", "klaxon", "toot"])],
    "engine": [(2, ["engine", "motor", "idl(?:e|es|ed|ing)", "tractor", "generator", "lawnmower", "lawn mower", "rev"])],
    "vehicle": [(2, ["car", "truck", "lorry", "bus", "buses", "van", "vehicle", "traffic", "motorcycle", "motorbike",
                     "automobile"]),
                (1, ["driv(?:e|es|ing)", "drove", "pass", "passes", "past", "zoom", "speed", "road", "street", "highway"])],
    "helicopter": [(3, ["helicopter", "chopper", "rotor"])],
    "aircraft": [(2, ["plane", "airplane", "aeroplane", "aircraft", "jet", "airliner", "flyover", "fly ?by"]),
                 (1, ["overhead", "airport", "take ?off"])],
    "bicycle_bell": [(2, ["bicycle", "bike", "cyclist"]), (1, ["bell", "ring", "rang", "ding"])],
    "bell": [(2, ["bell", "doorbell", "chime", "church", "toll", "cathedral", "carillon", "gong"]), (1, ["ring", "rang", "ding", "dong"])],
    "alarm": [(2, ["alarm", "beep", "bleep", "buzzer", "smoke detector", "timer", "microwave"]),
              (1, ["fire alarm", "smoke alarm", "alarm clock"])],
    "phone": [(2, ["phone", "telephone", "cellphone", "smartphone", "mobile"]), (1, ["ring", "rang", "call"])],
    "clock": [(2, ["clock", "tick", "tock", "ticktock", "tick-tock", "metronome", "wristwatch", "pocket watch", "grandfather clock"])],
    "knock": [(2, ["knock", "rapp(?:ed|ing)", "pound", "bang", "thump", "slam", "slamm(?:ed|ing)"]), (1, ["tap", "door"])],
    "door_creak": [(2, ["creak", "creaky", "squeak", "squeaky", "hinge"]), (1, ["door", "open", "opens", "gate"])],
    "footsteps": [(2, ["footstep", "footfall", "step", "stepp(?:ed|ing)", "walk", "stroll", "march", "stomp", "tread", "pac(?:e|es|ed|ing)",
                       "stair", "run", "runs", "running", "jog", "heel"])],
    "applause": [(2, ["applau(?:d|ds|ded|se)", "applauding", "clap", "clapp(?:ed|ing)", "ovation", "cheer"]),
                 (1, ["audience"])],
    "glass": [(2, ["glass", "shatter", "smash", "window pane", "bottle", "crash"]), (1, ["break", "breaks", "broke", "broken"])],
    "typing": [(2, ["typ(?:e|es|ed|ing)", "typist", "keyboard", "typewriter", "keystroke"]), (1, ["keys", "computer"])],
    "crowd": [(2, ["crowd", "people", "chatter", "restaurant", "cafe", "café", "market", "party", "stadium", "audience",
                   "pub", "bar", "crowded", "busy"]), (1, ["murmur", "babble"])],
    "speech": [(2, ["speech", "speak", "spoke", "talk", "voice", "conversation", "chat", "chatting", "whisper", "say", "says", "said",
                    "narrat(?:e|es|or|ing)", "lecture", "announc(?:e|es|er|ement)", "murmur", "babble", "mumbl(?:e|es|ing)"]),
               (1, ["laugh", "laughter"]),
               (0.5, ["man", "woman", "men", "women", "person", "someone", "child", "children", "kid", "boy", "girl"])],
}

_PATTERNS = {name: [(weight, re.compile(r"\b(?:" + "|".join(stems) + r")" + _INFLECTION + r"\b", re.IGNORECASE))
                    for weight, stems in groups]
             for name, groups in KEYWORDS.items()}


def match_class(description: str) -> str:
    """The sound class whose keywords best match `description` (whole words, plurals and verb forms), else 'texture'."""
    best, best_score = FALLBACK, 0.0
    for name, patterns in _PATTERNS.items():
        score = sum(weight * len(pattern.findall(description)) for weight, pattern in patterns)
        if score > best_score:
            best, best_score = name, score
    return best


def _finish(audio: np.ndarray, sr: int) -> np.ndarray:
    """Fade both ends over FADE_SECONDS (raised cosine), remove the mean, peak-normalise to PEAK_DBFS; returns float32.

    The mean comes out as a Hann-shaped offset over the whole clip (a component below 1 / duration Hz), so the
    ends stay at zero and the clip carries no DC.
    """
    audio = np.asarray(audio, dtype=np.float64)
    fade = min(int(FADE_SECONDS * sr), len(audio) // 2)
    if fade > 0:
        ramp = (1 - np.cos(np.pi * np.arange(fade) / fade)) / 2
        audio[:fade] *= ramp
        audio[len(audio) - fade :] *= ramp[::-1]
    if len(audio) > 2:
        bump = np.hanning(len(audio))
        audio = audio - bump * (audio.sum() / bump.sum())
    peak = np.abs(audio).max(initial=0.0)
    if peak > 0:
        audio = audio * (10 ** (PEAK_DBFS / 20) / peak)
    return audio.astype(np.float32)


class ProceduralGenerator(Generator):
    """Offline mono generator: synthesises one of the sound classes in `sounds.SOUNDS` for each prompt."""

    name = "procedural"
    sample_rate = 44100

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 clip per prompt, clip_length(duration, 44100) samples, peak at -3 dBFS, faded ends."""
        _validate(prompts, durations, seeds)
        return [self.synthesise(match_class(prompt), float(duration), int(seed))
                for prompt, duration, seed in zip(prompts, durations, seeds)]

    def detail(self, prompt: str, duration: float, seed: int) -> dict:
        """What made the clip: {'sound_class': name}."""
        return {"sound_class": match_class(prompt)}

    def synthesise(self, sound_class: str, duration: float, seed: int) -> np.ndarray:
        """One clip of a named class in `sounds.SOUNDS` (no input checks: `generate` is the boundary)."""
        from cascade.generators.sounds import SOUNDS  # the signal models import scipy.signal: only when synthesising

        n = clip_length(duration, self.sample_rate)
        audio = SOUNDS[sound_class](n, self.sample_rate, np.random.default_rng(seed))
        return _finish(fit_length(audio, n), self.sample_rate)


def _validate(prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> None:
    """Raise GeneratorError unless the three sequences align, durations are in (0, 60] s and seeds are non-negative integers."""
    if not len(prompts) == len(durations) == len(seeds):
        raise GeneratorError(f"procedural generator needs one duration and one seed per prompt; "
                             f"got {len(prompts)} prompts, {len(durations)} durations, {len(seeds)} seeds")
    for prompt, duration, seed in zip(prompts, durations, seeds):
        if not isinstance(prompt, str):
            raise GeneratorError(f"prompt must be text, got {type(prompt).__name__}")
        if not (isinstance(duration, numbers.Real) and math.isfinite(duration) and 0 < duration <= MAX_EVENT_DURATION):
            raise GeneratorError(f"duration must be in (0, {MAX_EVENT_DURATION:g}] seconds, got {duration!r} for '{prompt}'")
        if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
            raise GeneratorError(f"seed must be a non-negative integer, got {seed!r} for '{prompt}'")
