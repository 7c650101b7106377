"""What the learned paths' codec keeps: held-out sources through encode and decode, the ceiling of both learned paths.

    python -m benchmarks.e2e_codec [--items 48] [--json PATH] [--png PATH] [--mels N]

Held-out items: synthetic examples of the training distribution (its classes, onsets, gains; static sources)
drawn with HELD_OUT_SEED, which no training set uses: one set anechoic, one in shoebox rooms. The AmbiX codec
(the end-to-end models') codes each item's field, the mono codec (the learned cascade's generator) its dry clip.
Figures per set, input against round trip:

    tagger        accuracy of the compare benchmark's tagger (trained on clean procedural clips of its own seeds)
                  on W (or the dry clip) over the event's span, of the inputs and of the round trips, and the share
                  kept (round trip / input)
    onset         |onset(round trip) - onset(input)| in ms (benchmarks.onsets on W), items starting inside the window
    level         |level(round trip) - level(input)| in dB, RMS of W over the event's span
    direction     great-circle angle between the intensity-vector directions of input and round trip (degrees)
    log-mel       mean |log10 mel power| difference to the input (the codec's own bands) of the round trip, of the
                  all-zero latent's decoding and of the decoding of the set's mean latent; the round trip's
                  distance as a share of the zero latent's
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from benchmarks.onsets import onset
from benchmarks.tagger import Tagger, cached, event_label
from benchmarks.timing import machine
from cascade.end_to_end.codec import CodecConfig, SpectralCodec
from cascade.end_to_end.data import TRAINING_CLASSES, Example, SyntheticSpec, synthetic_examples
from cascade.metrics import foa_doa, spatial_angle
from cascade.wordings import class_of

HELD_OUT_SEED = 31337  # training sets use seed 0, the training probe 777
RATE = 16000


def held_out(items: int, rooms: bool, seed: int = HELD_OUT_SEED, held_out_wording: bool = False) -> list[Example]:
    """`items` static single sources of the training distribution, all anechoic or all in rooms, drawn with `seed`."""
    spec = SyntheticSpec(room_share=1.0 if rooms else 0.0, moving_share=0.0, held_out_wording=held_out_wording)
    return list(synthetic_examples(items, seed + int(rooms), spec))


def tagger_labels() -> list[str]:
    """The tagger's labels for the training classes (their procedural signal models)."""
    return sorted({event_label(name, "procedural") for name in TRAINING_CLASSES})


def event_span(example: Example) -> slice:
    start = max(example.start, 0.0)
    return slice(int(start * RATE), int(min(example.start + example.total, 4.0) * RATE))


def level_db(signal: np.ndarray) -> float:
    return 10 * float(np.log10(np.mean(signal.astype(np.float64) ** 2) + 1e-20))


def round_trip_figures(codec: SpectralCodec, inputs: np.ndarray, examples: list[Example], tagger: Tagger,
                       mean_latent: torch.Tensor) -> tuple[dict, np.ndarray]:
    """The figures of the module docstring for `inputs` (k, channels, n) through `codec`, and the round trips."""
    with torch.no_grad():
        latents = codec.encode(torch.from_numpy(inputs))
        out = codec.decode(latents).numpy()
        zero = codec.decode(torch.zeros_like(latents[:1])).numpy()
        mean = codec.decode(mean_latent[None, :, None].expand(1, -1, latents.shape[-1]).clone()).numpy()
        mels = codec.config.mels

        def distance(audio: np.ndarray) -> np.ndarray:
            other = codec.encode(torch.from_numpy(np.ascontiguousarray(audio)))[:, :mels]
            return (other - latents[:, :mels]).abs().mean(dim=(1, 2)).numpy()

        d_round, d_zero, d_mean = distance(out), distance(np.repeat(zero, len(inputs), 0)), distance(np.repeat(mean, len(inputs), 0))
    truth = [event_label(class_of(e.prompt), "procedural") for e in examples]
    w_in, w_out = [x[0] for x in inputs], [x[0] for x in out]
    acc_in = float(np.mean([p == t for p, t in zip(tagger.predict([w[event_span(e)] for w, e in zip(w_in, examples)], RATE), truth)]))
    acc_out = float(np.mean([p == t for p, t in zip(tagger.predict([w[event_span(e)] for w, e in zip(w_out, examples)], RATE), truth)]))
    inside = [k for k, e in enumerate(examples) if e.start > 0.05]
    onsets = np.array([abs(onset(w_out[k], RATE) - onset(w_in[k], RATE)) for k in inside]) * 1000
    levels = np.array([abs(level_db(w_out[k][event_span(e)]) - level_db(w_in[k][event_span(e)])) for k, e in enumerate(examples)])
    figures = {"tagger_input": acc_in, "tagger_round_trip": acc_out, "tagger_kept": acc_out / max(acc_in, 1e-9),
               "onset_ms": {"median": float(np.nanmedian(onsets)), "p90": float(np.nanpercentile(onsets, 90)), "items": len(inside)},
               "level_db": {"median": float(np.median(levels)), "p90": float(np.percentile(levels, 90))},
               "log_mel": {"round_trip": float(d_round.mean()), "zero_latent": float(d_zero.mean()), "mean_latent": float(d_mean.mean()),
                           "share_of_zero": float(d_round.mean() / d_zero.mean())}}
    if inputs.shape[1] == 4:
        angles = []
        for a, b in zip(inputs, out):
            (az_in, el_in), (az_out, el_out) = foa_doa(a), foa_doa(b)
            angles.append(float(spatial_angle(az_in, el_in, az_out, el_out)))
        figures["direction_deg"] = {"median": float(np.median(angles)), "mean": float(np.mean(angles)), "p90": float(np.percentile(angles, 90))}
    return figures, out


def measure(items: int, mels: int | None = None) -> tuple[dict, dict[str, tuple[np.ndarray, np.ndarray, list[Example]]]]:
    torch.set_num_threads(2)
    tagger = cached(tagger_labels())
    bands = {"mels": mels} if mels else {}
    field, mono = SpectralCodec(CodecConfig(**bands)), SpectralCodec(CodecConfig(channels=1, **bands))
    result: dict = {"machine": machine(), "items": items, "tagger_held_out_accuracy": tagger.held_out_accuracy,
                    "codec": field.config.to_dict(), "sets": {}}
    shown: dict[str, tuple[np.ndarray, np.ndarray, list[Example]]] = {}
    for name, rooms in (("anechoic", False), ("rooms", True)):
        examples = held_out(items, rooms)
        foa = np.stack([e.foa for e in examples])
        dry = np.stack([e.mono[None] for e in examples])
        with torch.no_grad():
            mean_field = field.encode(torch.from_numpy(foa)).mean(dim=(0, 2))
            mean_dry = mono.encode(torch.from_numpy(dry)).mean(dim=(0, 2))
        result["sets"][name], out = round_trip_figures(field, foa, examples, tagger, mean_field)
        result["sets"][f"{name}, mono codec on the dry clip"], _ = round_trip_figures(mono, dry, examples, tagger, mean_dry)
        shown[name] = (foa[:, 0], out[:, 0], examples)
    return result, shown


def plot(shown: dict[str, tuple[np.ndarray, np.ndarray, list[Example]]], path: Path) -> None:
    """W spectrograms of two items per set: input beside round trip."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [(name, k) for name in shown for k in range(2)]
    figure, axes = plt.subplots(len(rows), 2, figsize=(10, 2.4 * len(rows)), squeeze=False)
    for (name, k), pair in zip(rows, axes):
        inputs, outputs, examples = shown[name]
        for ax, signal, label in zip(pair, (inputs[k], outputs[k]), ("input", "codec round trip")):
            ax.specgram(signal, NFFT=512, Fs=RATE, noverlap=384, cmap="magma", vmin=-140)
            ax.set_title(f"{examples[k].prompt} ({name}): {label}", fontsize=8)
            ax.set_ylabel("Hz", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("s", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=48, help="held-out examples per set (4 s each)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--png", help="also draw input and round-trip spectrograms to this PNG")
    parser.add_argument("--mels", type=int, help="mel bands of the codec (default: the shipped models' codec)")
    args = parser.parse_args(argv)
    result, shown = measure(args.items, args.mels)
    print(f"{result['machine']}; {args.items} held-out items per set; tagger held-out accuracy {result['tagger_held_out_accuracy']:.0%}")
    print(f"{'set':<38}{'tagger in':>10}{'out':>6}{'kept':>7}{'onset ms':>10}{'level dB':>10}{'dir deg':>9}{'log-mel':>9}{'zero':>7}{'share':>7}")
    for name, row in result["sets"].items():
        direction = f"{row['direction_deg']['median']:>9.2f}" if "direction_deg" in row else f"{'-':>9}"
        mel = row["log_mel"]
        print(f"{name:<38}{row['tagger_input']:>10.0%}{row['tagger_round_trip']:>6.0%}{row['tagger_kept']:>7.0%}"
              f"{row['onset_ms']['median']:>10.1f}{row['level_db']['median']:>10.2f}{direction}"
              f"{mel['round_trip']:>9.3f}{mel['zero_latent']:>7.2f}{mel['share_of_zero']:>7.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.png:
        plot(shown, Path(args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
