"""Fidelity of the binaural renderers against a measured head none of them was built from, at the full band.

    python -m benchmarks.renderer_fidelity [--json PATH] [--png PATH] [--items 48] [--nfs-checkpoint PT]

Sources the NFS network never heard: speech (the espeak-ng `speech` generator) of sentences outside its
training vocabulary and procedural clips with seeds below 10 000 (training used 10 000 and up), 3 s each
at 44.1 kHz, RMS -20 dBFS.
Item i sits at azimuth 30°·(i mod 12) plus a uniform jitter of ±7°, elevation 0°, 1.5 m. Every renderer
(hrtf and foa with MIT KEMAR, nfs trained on the hrtf renderer, and the AXD head 1 as a measured-but-different
head; every HRIR set diffuse-field equalised) is compared with the same source rendered by `HrtfRenderer`
through AXD head 2 (spatialaudiometrics example_sofa_2.sofa, equalised too). Heads differ in latency and
calibration, so each render is first aligned to the reference by one whole-sample lag (the
cross-correlation peak over both ears, within ±5 ms) and one gain (equal energy).

Metrics (all at 44.1 kHz, STFT 1024 / hop 256 Hann unless said), the NFS / TTMBA definitions:
- l2: 10³ · mean squared sample error over both ears (NFS "ℓ2 ×10³");
- mag: mean |·| of the STFT magnitude difference (amplitude error of Richard et al. 2021, ℓ1 form);
- phs: mean |wrapped phase difference| in rad over all STFT bins (π/2 for unrelated phases);
- stft: multi-resolution STFT loss, mean over FFT sizes 512/1024/2048 of spectral convergence plus
  mean |log-magnitude difference| (Yamamoto et al. 2020);
- pesq: PESQ wideband (ITU-T P.862.2, on both signals resampled to 16 kHz) per ear, averaged, speech only;
- itd / ild: absolute error of `cascade.metrics.itd` (µs) and `ild` (dB) against the reference;
- loc: azimuth MAE (°) and 12-class accuracy (30° sectors) of `benchmarks.localizer` calibrated on
  AXD head 1, given the dry source; its accuracy on the reference renders validates it. Spectral
  cues differ between heads, so a KEMAR render can be heard front-back reversed by this listener;
- loc_kemar: 12-class accuracy of the same localizer calibrated on MIT KEMAR instead: whether a render
  keeps the cues of the head the hrtf, foa and nfs renderers were built from (validated on AXD head 2 too);
- side: a second set of single sources (every procedural class in turn, birds included) at random
  directions over the sphere (elevation -40° to 80°, 1.5 m): the share of those at least 20° off the
  median plane whose ITD sign and ILD sign (both) put them on the correct side;
- rtf: wall-clock seconds per second of audio for 10 s of 44.1 kHz mono, static and moving.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from functools import partial
from pathlib import Path

import numpy as np

from benchmarks.localizer import Localizer, sector
from benchmarks.timing import machine, median_seconds
from cascade.audio import resample
from cascade.geometry import unit_vectors
from cascade.metrics import circular_error, ild, itd
from cascade.training.sources import has_speech, procedural, speech
from renderers import get
from renderers.hrir import load_hrirs
from renderers.hrtf import HrtfRenderer
from renderers.path import SourcePath

RATE = 44100
PESQ_RATE = 16000
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
SPEAKERS = ("a woman", "a man")
CLASSES = ("dog", "bird", "siren", "footsteps", "bell", "rain")
RESOLUTIONS = (512, 1024, 2048)
SIDE_ITEMS = 40
SIDE_MIN_DEG = 20.0  # lateral angle from the median plane


def axd_sofa(index: int) -> Path:
    """Path of the AXD SOFA head `index` (1 or 2) shipped inside spatialaudiometrics."""
    spec = importlib.util.find_spec("spatialaudiometrics")
    if spec is None or spec.origin is None:
        raise SystemExit("this benchmark needs the AXD heads of spatialaudiometrics: pip install spatialaudiometrics==0.1.0")
    return Path(spec.origin).parent / f"example_sofa_{index}.sofa"


def _level(mono: np.ndarray) -> np.ndarray:
    """`mono` cut or padded to SECONDS at RATE and scaled to RMS_DBFS."""
    n = int(SECONDS * RATE)
    mono = np.pad(mono, (0, max(n - mono.size, 0)))[:n]
    return (mono * 10 ** (RMS_DBFS / 20) / np.sqrt(np.mean(mono**2))).astype(np.float32)


def sources(items: int) -> list[tuple[str, np.ndarray]]:
    """(kind, mono at RATE) pairs alternating speech and procedural, each SECONDS long at RMS_DBFS."""
    if not has_speech():
        raise SystemExit("this benchmark speaks its test sentences with espeak-ng: apt-get install espeak-ng")
    out = []
    for i in range(items):
        if i % 2 == 0:
            k = (i // 2) % len(SENTENCES)
            prompt = f'{SPEAKERS[k % len(SPEAKERS)]} says "{SENTENCES[k]}"'
            out.append(("speech", _level(speech(prompt, SECONDS, k, RATE))))
        else:
            name = CLASSES[(i // 2) % len(CLASSES)]
            out.append((name, _level(procedural(name, SECONDS, 1 + i, RATE))))
    return out


def side_sources(seed: int) -> list[tuple[str, np.ndarray, SourcePath]]:
    """(class, mono, static path) for SIDE_ITEMS procedural sources at random directions (seeds 5000 and up)."""
    from cascade.generators.sounds import SOUNDS

    rng = np.random.default_rng(seed + 1)
    names = sorted(SOUNDS)
    out = []
    for i in range(SIDE_ITEMS):
        azimuth = float(rng.uniform(-180, 180))
        elevation = float(np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-40)), np.sin(np.radians(80))))))
        name = names[i % len(names)]
        out.append((name, _level(procedural(name, SECONDS, 5000 + i, RATE)), SourcePath.static(azimuth, elevation, DISTANCE)))
    return out


def side_correct(renderers: dict, seed: int) -> dict[str, dict]:
    """Per renderer: the share of the side set's lateral sources put on the correct side by ITD and by ILD
    (and by both), and the items that were not."""
    found: dict[str, dict] = {name: {"itd": [], "ild": [], "wrong": []} for name in renderers}
    for name_class, mono, path in side_sources(seed):
        lateral = float(unit_vectors(path.azimuth[0], path.elevation[0])[1])
        if abs(lateral) < np.sin(np.radians(SIDE_MIN_DEG)):
            continue
        for name, renderer in renderers.items():
            render = renderer.render(mono, RATE, path)
            by_itd, by_ild = np.sign(itd(render, RATE)) == np.sign(lateral), np.sign(ild(render)) == np.sign(lateral)
            found[name]["itd"].append(bool(by_itd))
            found[name]["ild"].append(bool(by_ild))
            if not (by_itd and by_ild):
                found[name]["wrong"].append({"class": name_class, "azimuth": float(path.azimuth[0]),
                                             "elevation": float(path.elevation[0]), "itd_us": itd(render, RATE) * 1e6,
                                             "ild_db": ild(render)})
    return {name: {"side_itd": float(np.mean(v["itd"])), "side_ild": float(np.mean(v["ild"])),
                   "side": float(np.mean(np.logical_and(v["itd"], v["ild"]))), "side_count": len(v["itd"]),
                   "side_wrong": v["wrong"]} for name, v in found.items()}


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
    p, t = _stft(render, 1024), _stft(reference, 1024)
    stft = 0.0
    for n_fft in RESOLUTIONS:
        mp, mt = np.abs(_stft(render, n_fft)), np.abs(_stft(reference, n_fft))
        stft += np.linalg.norm(mt - mp) / np.linalg.norm(mt) + np.mean(np.abs(np.log(mt + eps) - np.log(mp + eps)))
    return {"l2": float(1e3 * np.mean((render - reference) ** 2)),
            "mag": float(np.mean(np.abs(np.abs(p) - np.abs(t)))),
            "phs": float(np.mean(np.abs(np.angle(p * np.conj(t))))),
            "stft": float(stft / len(RESOLUTIONS))}


def pesq_wb(render: np.ndarray, reference: np.ndarray) -> float:
    """PESQ wideband (both signals at 16 kHz) averaged over the ears; NaN when `pesq` finds no speech."""
    from pesq import pesq

    render, reference = resample(render, RATE, PESQ_RATE), resample(reference, RATE, PESQ_RATE)
    try:
        return float(np.mean([pesq(PESQ_RATE, reference[e], render[e], "wb") for e in range(2)]))
    except Exception:  # pesq raises its own error types for signals without utterances
        return float("nan")


def real_time_factor(renderer, repeats: int = 3) -> tuple[float, float]:
    """Median seconds per second of audio for 10 s of 44.1 kHz noise, static and moving left to right."""
    mono = np.random.default_rng(0).standard_normal(441000).astype(np.float32) * 0.1
    paths = (SourcePath.static(30.0), SourcePath.from_keys([0, 10], [90, -90], [0, 0], [1.5, 1.5]))
    factors = [median_seconds(partial(renderer.render, mono, 44100, path), repeats) / 10.0 for path in paths]
    return factors[0], factors[1]


RENDERERS = ("hrtf", "foa", "nfs", "axd1")


def run(items: int = 48, seed: int = 0, nfs_checkpoint: Path | None = None, only: tuple[str, ...] = RENDERERS) -> dict:
    """All metrics per renderer, averaged over the items; plus the localizer's accuracy on the reference."""
    if importlib.util.find_spec("pesq") is None:
        raise SystemExit("this benchmark needs the bench extra: pip install -e '.[bench]'")
    rng = np.random.default_rng(seed)
    reference = HrtfRenderer(axd_sofa(2))
    makers = {"hrtf": lambda: get("hrtf"), "foa": lambda: get("foa"), "nfs": lambda: get("nfs", checkpoint=nfs_checkpoint),
              "axd1": lambda: HrtfRenderer(axd_sofa(1))}
    renderers = {name: makers[name]() for name in only}
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
    for name, sides in side_correct({"reference": reference} | renderers, seed).items():
        summary[name] |= sides
    setup = {"items": items, "side_items": SIDE_ITEMS, "seconds": SECONDS, "rate": RATE, "distance_m": DISTANCE,
             "reference": "AXD head 2", "hrir_equalisation": "diffuse", "machine": machine(),
             "nfs_checkpoint": str(nfs_checkpoint or "shipped"), "localizer_templates": {"loc": "AXD head 1", "loc_kemar": "MIT KEMAR"}}
    return {"setup": setup, "summary": summary, "items": rows}


COLUMNS = (("l2", "l2x1e3", "{:.3f}"), ("mag", "L_mag", "{:.4f}"), ("phs", "L_phs", "{:.2f}"), ("stft", "L_STFT", "{:.2f}"),
           ("pesq", "PESQ", "{:.2f}"), ("itd", "ITDerr_us", "{:.0f}"), ("ild", "ILDerr_dB", "{:.2f}"),
           ("loc_mae_deg", "locMAE", "{:.1f}"), ("loc_acc", "loc12", "{:.0%}"),
           ("loc_kemar_acc", "loc12KEMAR", "{:.0%}"), ("side", "side", "{:.0%}"), ("rtf_static", "RTFstat", "{:.4f}"),
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

    figure, axes = plt.subplots(2, 7, figsize=(21, 6))
    for axis, (key, title, _) in zip(axes.ravel(), COLUMNS):
        names = [n for n in summary if key in summary[n]]
        axis.bar(names, [summary[n][key] for n in names], color="tab:blue")
        axis.set_title(title)
        axis.tick_params(axis="x", rotation=45)
    for axis in axes.ravel()[len(COLUMNS) :]:
        axis.set_visible(False)
    figure.suptitle(f"Binaural renderer fidelity against AXD head 2 ({RATE / 1000:g} kHz)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="renderer_fidelity", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=48, help="test items (half speech, half procedural)")
    parser.add_argument("--json", type=Path, help="write all figures and per-item rows here")
    parser.add_argument("--png", type=Path, help="write bar charts here")
    parser.add_argument("--nfs-checkpoint", type=Path, help="NFS checkpoint to score (default: the shipped one)")
    parser.add_argument("--renderers", default=",".join(RENDERERS), help=f"comma-separated subset of {', '.join(RENDERERS)}")
    args = parser.parse_args(argv)
    only = tuple(name for name in args.renderers.split(",") if name)
    if not only or set(only) - set(RENDERERS):
        parser.error(f"--renderers takes a comma-separated subset of {', '.join(RENDERERS)}; got {args.renderers!r}")
    result = run(args.items, nfs_checkpoint=args.nfs_checkpoint, only=only)
    print(table(result["summary"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    if args.png:
        plot(result["summary"], args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
