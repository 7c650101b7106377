"""Fidelity of the binaural renderers against a measured head none of them was built from.

    python -m benchmarks.renderer_fidelity [--json PATH] [--png PATH] [--items 24] [--nfs-checkpoint PT]

Sources the NFS network never saw: espeak-ng speech of sentences outside its training vocabulary and
procedural clips with seeds below 10 000 (training used 10 000 and up), 3 s each at 16 kHz, RMS -20 dBFS.
Item i sits at azimuth 30°·(i mod 12) plus a uniform jitter of ±7° (never a training direction:
those were continuous random draws), elevation 0°, 1.5 m. Every renderer (hrtf and foa with MIT KEMAR,
nfs trained on KEMAR, and the AXD head 1 as a measured-but-different-head baseline) is compared with the
same source rendered by `HrtfRenderer` through AXD head 2 (spatialaudiometrics example_sofa_2.sofa).
Heads differ in latency and calibration, so each render is first aligned to the reference by one
whole-sample lag (the cross-correlation peak over both ears, within ±5 ms) and one gain (equal energy).

Metrics (all at 16 kHz, STFT 512 / hop 128 Hann unless said), the NFS / TTMBA definitions:
- l2: 10³ · mean squared sample error over both ears (NFS "ℓ2 ×10³");
- mag: mean |·| of the STFT magnitude difference (amplitude error of Richard et al. 2021, ℓ1 form);
- phs: mean |wrapped phase difference| in rad over all STFT bins (π/2 for unrelated phases);
- stft: multi-resolution STFT loss, mean over FFT sizes 256/512/1024 of spectral convergence plus
  mean |log-magnitude difference| (Yamamoto et al. 2020);
- pesq: PESQ wideband (ITU-T P.862.2) per ear, averaged, speech items only;
- itd / ild: absolute error of `cascade.metrics.itd` (µs) and `ild` (dB) against the reference;
- loc: azimuth MAE (°) and 12-class accuracy (30° sectors) of `benchmarks.localizer` calibrated on
  AXD head 1, given the dry source; its accuracy on the reference renders validates it. Spectral
  cues differ between heads, so a KEMAR render can be heard front-back reversed by this listener;
- loc_kemar: 12-class accuracy of the same localizer calibrated on MIT KEMAR instead: whether a render
  keeps the cues of the head the hrtf, foa and nfs renderers were built from (validated on AXD head 2 too);
- rtf: wall-clock seconds per second of audio for 10 s of 44.1 kHz mono, static and moving.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.localizer import Localizer, sector
from benchmarks.timing import median_seconds
from cascade.audio import resample
from cascade.generators.procedural import ProceduralGenerator
from cascade.metrics import circular_error, ild, itd
from renderers import get
from renderers.hrir import load_hrirs
from renderers.hrtf import HrtfRenderer
from renderers.nfs_train import espeak
from renderers.path import SourcePath

RATE = 16000
SECONDS = 3.0
RMS_DBFS = -20.0
DISTANCE = 1.5
MAX_LAG_SECONDS = 5e-3
SENTENCES = (
    "A rainbow appears when sunlight shines through falling drops of water.",
    "The committee postponed its decision until the budget was approved.",
    "Please fold the blankets neatly before placing them in the cupboard.",
    "Thousands of migrating geese crossed the valley at dawn yesterday.",
    "Her grandmother's recipe calls for cinnamon, nutmeg and brown sugar.",
    "Engineers inspected the suspension bridge after the earthquake.",
)
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-scotland", "en-us+m3", "en-gb+f2")
CLASSES = ("dog", "bird", "siren", "footsteps", "bell", "rain")
RESOLUTIONS = (256, 512, 1024)


def axd_sofa(index: int) -> Path:
    """Path of the AXD SOFA head `index` (1 or 2) shipped inside spatialaudiometrics."""
    spec = importlib.util.find_spec("spatialaudiometrics")
    if spec is None or spec.origin is None:
        raise SystemExit("this benchmark needs the AXD heads of spatialaudiometrics: pip install spatialaudiometrics==0.1.0")
    return Path(spec.origin).parent / f"example_sofa_{index}.sofa"


def sources(items: int) -> list[tuple[str, np.ndarray]]:
    """(kind, mono at 16 kHz) pairs alternating speech and procedural, each SECONDS long at RMS_DBFS."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("this benchmark speaks its test sentences with espeak-ng: apt-get install espeak-ng")
    generator = ProceduralGenerator()
    out = []
    with tempfile.TemporaryDirectory() as work:
        for i in range(items):
            if i % 2 == 0:
                k = (i // 2) % len(SENTENCES)
                mono, kind = espeak(SENTENCES[k], VOICES[k], RATE, Path(work)), "speech"
            else:
                name = CLASSES[(i // 2) % len(CLASSES)]
                mono, kind = resample(generator.synthesise(name, SECONDS, 1 + i), generator.sample_rate, RATE), name
            n = int(SECONDS * RATE)
            mono = np.pad(mono, (0, max(n - mono.size, 0)))[:n]
            out.append((kind, (mono * 10 ** (RMS_DBFS / 20) / np.sqrt(np.mean(mono**2))).astype(np.float32)))
    return out


def align(render: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`render` shifted by the whole-sample lag and scaled by the gain that best match `reference` (same length)."""
    n = reference.shape[-1]
    size = 1 << int(np.ceil(np.log2(render.shape[-1] + n)))
    cross = np.fft.irfft((np.conj(np.fft.rfft(render, size)) * np.fft.rfft(reference, size)).sum(axis=0), size)
    lags = int(MAX_LAG_SECONDS * RATE)
    candidates = np.concatenate([np.arange(0, lags + 1), np.arange(-lags, 0)])
    lag = int(candidates[np.argmax(cross[candidates])])
    shifted = np.zeros_like(reference)
    src = render[:, max(-lag, 0) :]
    dst = shifted[:, max(lag, 0) :]
    m = min(src.shape[-1], dst.shape[-1])
    dst[:, :m] = src[:, :m]
    return shifted * np.sqrt(np.sum(reference**2) / max(np.sum(shifted**2), 1e-20))


def _stft(x: np.ndarray, n_fft: int) -> np.ndarray:
    """(channels, frames, bins) complex STFT, Hann window, hop n_fft / 4, zero-padded ends."""
    hop = n_fft // 4
    x = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)))
    count = 1 + (x.shape[-1] - n_fft) // hop
    frames = x[:, np.arange(count)[:, None] * hop + np.arange(n_fft)]
    return np.fft.rfft(frames * np.hanning(n_fft + 1)[:-1], axis=-1)


def fidelity(render: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """l2, mag, phs and stft (see the module docstring) of an aligned render against the reference."""
    eps = 1e-5
    p, t = _stft(render, 512), _stft(reference, 512)
    stft = 0.0
    for n_fft in RESOLUTIONS:
        mp, mt = np.abs(_stft(render, n_fft)), np.abs(_stft(reference, n_fft))
        stft += np.linalg.norm(mt - mp) / np.linalg.norm(mt) + np.mean(np.abs(np.log(mt + eps) - np.log(mp + eps)))
    return {"l2": float(1e3 * np.mean((render - reference) ** 2)),
            "mag": float(np.mean(np.abs(np.abs(p) - np.abs(t)))),
            "phs": float(np.mean(np.abs(np.angle(p * np.conj(t))))),
            "stft": float(stft / len(RESOLUTIONS))}


def pesq_wb(render: np.ndarray, reference: np.ndarray) -> float:
    """PESQ wideband averaged over the ears; NaN when `pesq` finds no speech."""
    from pesq import pesq

    try:
        return float(np.mean([pesq(RATE, reference[e], render[e], "wb") for e in range(2)]))
    except Exception:  # pesq raises its own error types for signals without utterances
        return float("nan")


def real_time_factor(renderer, repeats: int = 3) -> tuple[float, float]:
    """Median seconds per second of audio for 10 s of 44.1 kHz noise, static and moving left to right."""
    mono = np.random.default_rng(0).standard_normal(441000).astype(np.float32) * 0.1
    paths = (SourcePath.static(30.0), SourcePath.from_keys([0, 10], [90, -90], [0, 0], [1.5, 1.5]))
    factors = [median_seconds(lambda: renderer.render(mono, 44100, path), repeats) / 10.0 for path in paths]
    return factors[0], factors[1]


def run(items: int = 24, seed: int = 0, nfs_checkpoint: Path | None = None) -> dict:
    """All metrics per renderer, averaged over the items; plus the localizer's accuracy on the reference."""
    if importlib.util.find_spec("pesq") is None:
        raise SystemExit("this benchmark needs the bench extra: pip install -e '.[bench]'")
    rng = np.random.default_rng(seed)
    reference = HrtfRenderer(axd_sofa(2))
    renderers = {"hrtf": get("hrtf"), "foa": get("foa"), "nfs": get("nfs", checkpoint=nfs_checkpoint), "axd1": HrtfRenderer(axd_sofa(1))}
    localizers = {"loc": Localizer(load_hrirs(axd_sofa(1)), RATE), "loc_kemar": Localizer(load_hrirs(), RATE)}
    azimuths = 180.0 - (180.0 - (30.0 * (np.arange(items) % 12) + rng.uniform(-7, 7, items))) % 360.0
    rows: dict[str, list[dict]] = {name: [] for name in ["reference", *renderers]}
    for (kind, mono), azimuth in zip(sources(items), azimuths):
        path = SourcePath.static(float(azimuth), 0.0, DISTANCE)
        target = reference.render(mono, RATE, path)
        rows["reference"].append({"azimuth": float(azimuth)} | {k: v.localize(target, RATE, mono) for k, v in localizers.items()})
        for name, renderer in renderers.items():
            render = align(renderer.render(mono, RATE, path), target)
            row = fidelity(render, target) | {"azimuth": float(azimuth), "kind": kind,
                                              "pesq": pesq_wb(render, target) if kind == "speech" else float("nan"),
                                              "itd": abs(itd(render, RATE) - itd(target, RATE)) * 1e6,
                                              "ild": abs(ild(render) - ild(target))}
            row |= {k: v.localize(render, RATE, mono) for k, v in localizers.items()}
            rows[name].append(row)
    summary = {}
    for name, entries in rows.items():
        truth = np.array([e["azimuth"] for e in entries])
        found = np.array([e["loc"] for e in entries])
        result = {"loc_mae_deg": float(np.mean(circular_error(found, truth))),
                  "loc_acc": float(np.mean(sector(found) == sector(truth))),
                  "loc_kemar_acc": float(np.mean(sector(np.array([e["loc_kemar"] for e in entries])) == sector(truth)))}
        if name != "reference":
            for key in ("l2", "mag", "phs", "stft", "pesq", "itd", "ild"):
                result[key] = float(np.nanmean([e[key] for e in entries]))
            result["rtf_static"], result["rtf_moving"] = real_time_factor(renderers[name])
        summary[name] = result
    setup = {"items": items, "seconds": SECONDS, "rate": RATE, "distance_m": DISTANCE, "reference": "AXD head 2",
             "nfs_checkpoint": str(nfs_checkpoint or "shipped"), "localizer_templates": {"loc": "AXD head 1", "loc_kemar": "MIT KEMAR"}}
    return {"setup": setup, "summary": summary, "items": rows}


COLUMNS = (("l2", "l2x1e3", "{:.3f}"), ("mag", "L_mag", "{:.4f}"), ("phs", "L_phs", "{:.2f}"), ("stft", "L_STFT", "{:.2f}"),
           ("pesq", "PESQ", "{:.2f}"), ("itd", "ITDerr_us", "{:.0f}"), ("ild", "ILDerr_dB", "{:.2f}"),
           ("loc_mae_deg", "locMAE", "{:.1f}"), ("loc_acc", "loc12", "{:.0%}"),
           ("loc_kemar_acc", "loc12KEMAR", "{:.0%}"), ("rtf_static", "RTFstat", "{:.4f}"),
           ("rtf_moving", "RTFmov", "{:.4f}"))


def table(summary: dict) -> str:
    """Fixed-width text table, one row per renderer."""
    lines = ["renderer   " + " ".join(f"{title:>10}" for _, title, _ in COLUMNS)]
    for name, result in summary.items():
        cells = [fmt.format(result[key]) if key in result else "-" for key, _, fmt in COLUMNS]
        lines.append(f"{name:<10} " + " ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)


def plot(summary: dict, path: Path) -> None:
    """Bar charts of every metric, one panel each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 6, figsize=(18, 6))
    for axis, (key, title, _) in zip(axes.ravel(), COLUMNS):
        names = [n for n in summary if key in summary[n]]
        axis.bar(names, [summary[n][key] for n in names], color="tab:blue")
        axis.set_title(title)
        axis.tick_params(axis="x", rotation=45)
    figure.suptitle("Binaural renderer fidelity against AXD head 2 (16 kHz)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="renderer_fidelity", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24, help="test items (half speech, half procedural)")
    parser.add_argument("--json", type=Path, help="write all figures and per-item rows here")
    parser.add_argument("--png", type=Path, help="write bar charts here")
    parser.add_argument("--nfs-checkpoint", type=Path, help="NFS checkpoint to score (default: the shipped one)")
    args = parser.parse_args(argv)
    result = run(args.items, nfs_checkpoint=args.nfs_checkpoint)
    print(table(result["summary"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    if args.png:
        plot(result["summary"], args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
