"""Is the named sound heard, and does a pass-by move as things move? Levels of planned scenes and a pass-by.

    python -m benchmarks.mix_levels [--json PATH]

- stems: each text below is planned by the rule planner and rendered offline (procedural clips, speech by espeak-ng
  where installed) in the designed mix (the default) and in the physical one; every event's binaural stem, with its
  gain_db, is measured with pyloudnorm (BS.1770), and reported in dB under the loudest stem of its scene. The bar: no
  named event more than 12 dB under the loudest.
- pass-by: "a car drives past from left to right" planned, its clip replaced by a steady 1 kHz tone (a sample
  library of one file); on the W channel of its AmbiX stem, the level emitted at the closest point (mid-event) against
  0.3 s from either end, and the pitch of the half second heard at the start and at the end against 1 kHz, beside what
  the geometry gives (distance model, Doppler f·c / (c + dr/dt)).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile

import cascade
from benchmarks.timing import machine
from cascade.files import write_text
from cascade.geometry import SPEED_OF_SOUND
from cascade.mixer import attenuation
from cascade.pipeline import event_path
from cascade.scene import Mix

TEXTS = [
    "a train passes from left to right in the distance while it rains",
    "a helicopter flies overhead while a siren wails far to the right",
    "in a busy café, an espresso machine hisses",
    "thunder rumbles far away while it rains",
    "a dog barks behind me while a car passes",
    "footsteps approach from the left while the wind blows",
    "a church bell tolls in the distance while a bird sings nearby",
    'a woman says "the train is late, sorry" while traffic roars in the background',
]
PASS_BY = "a car drives past from left to right"
TONE_HZ = 1000.0
BAR_DB = 12.0


def stem_levels(text: str, mix: str) -> dict[str, float]:
    """dB of each event's binaural stem (BS.1770, with its gain_db) under the loudest of the scene."""
    result = cascade.render_scene(text, cache=False, mix=mix)
    meter = pyloudnorm.Meter(result.sample_rate)
    loudness = {}
    for event in result.scene.events:
        stem = next(s for s in result.stems if s.event_id == event.id)
        audio = (10 ** (event.gain_db / 20) * stem.binaural).T.astype(np.float64)
        loudness[event.id] = float(meter.integrated_loudness(audio))
    top = max(loudness.values())
    return {name: round(value - top, 2) for name, value in loudness.items()}


def pass_by(mix: str) -> dict:
    """Level rise at the closest point and pitch at the start and end of a steady tone's pass-by, measured and expected."""
    scene = cascade.plan_scene(PASS_BY)
    event = scene.events[0]
    rate = scene.sample_rate
    with tempfile.TemporaryDirectory() as folder:
        seconds = np.arange(int(event.duration * rate)) / rate
        soundfile.write(Path(folder) / "steady tone.wav", 0.1 * np.sin(2 * np.pi * TONE_HZ * seconds), rate)
        (Path(folder) / "descriptions.json").write_text(json.dumps({"steady tone.wav": event.description}))
        result = cascade.render_scene(scene, cache=False, mix=mix, generator="library", generator_options={"library": {"folder": folder}})
    w = result.stems[0].foa[0].astype(np.float64)
    path = event_path(event)

    def distance(t: float) -> float:
        return float(path.at(t)[2])

    def level(t: float) -> float:  # dB over 0.1 s of what was emitted around t
        heard = int(round((t + distance(t) / SPEED_OF_SOUND) * rate))
        return float(10 * np.log10(np.mean(w[heard - rate // 20 : heard + rate // 20] ** 2)))

    def pitch(t: float) -> float:  # Hz of the strongest peak in the half second heard from t
        piece = w[int(t * rate) : int(t * rate) + rate // 2] * np.hanning(rate // 2)
        return float(np.argmax(np.abs(np.fft.rfft(piece, 32 * piece.size))) * rate / (32 * piece.size))

    def doppler(heard: float) -> float:
        emitted = heard
        for _ in range(20):
            emitted = heard - distance(emitted) / SPEED_OF_SOUND
        speed = (distance(emitted + 1e-3) - distance(emitted - 1e-3)) / 2e-3
        return TONE_HZ * SPEED_OF_SOUND / (SPEED_OF_SOUND + speed)

    middle, ends = event.duration / 2, (0.3, event.duration - 0.3)
    model = Mix().distance
    gain = (lambda d: float(attenuation(d, model))) if mix == "designed" else (lambda d: 1.0 / d)
    starts = (0.25, event.duration - 0.75)
    return {"text": PASS_BY, "closest_m": round(distance(middle), 2), "start_m": round(distance(0.0), 2),
            "rise_db": [round(level(middle) - level(t), 2) for t in ends],
            "rise_expected_db": [round(20 * np.log10(gain(distance(middle)) / gain(distance(t))), 2) for t in ends],
            "pitch_hz": [round(pitch(t), 1) for t in starts], "pitch_expected_hz": [round(doppler(t + 0.25), 1) for t in starts],
            "pitch_fall_semitones": round(12 * np.log2(pitch(starts[0]) / pitch(starts[1])), 2)}


def measure() -> dict:
    load_before = os.getloadavg()[0]
    stems = {text: {mix: stem_levels(text, mix) for mix in ("designed", "physical")} for text in TEXTS}
    worst = {mix: min(min(v[mix].values()) for v in stems.values()) for mix in ("designed", "physical")}
    return {"machine": machine(), "load_average_before": load_before, "stems_db_under_loudest": stems, "worst_db": worst,
            "bar_db": -BAR_DB, "met": worst["designed"] >= -BAR_DB,
            "pass_by": {mix: pass_by(mix) for mix in ("designed", "physical")}, "load_average_after": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cascade bench mix-levels", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = measure()
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        write_text(args.json, text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
