"""Train the NFS renderer to reproduce the HRTF renderer (MIT KEMAR, diffuse-field equalised) at the full band.

    cascade train-nfs --minutes 60                              # writes $CASCADE_CACHE_DIR/nfs/nfs.pt
    cascade train-nfs --minutes 60 --resume ~/.cache/text2spatial/nfs/nfs.pt   # the next stretch
    cascade render scene.json --renderer nfs --nfs-checkpoint ~/.cache/text2spatial/nfs/nfs.pt

A static source through the HRTF renderer is its signal propagated to the head centre and convolved with
the HRIR pair of its direction; the NFS renders the same propagated signal through its own filter pair.
So every training step compares filters: it draws directions (half uniform on the sphere, a quarter
within 20° of the horizontal plane, a quarter within 40° of the interaural axis, where front and back
differ least) and distances (log-uniform, 1-4 m), and scores each ear's NFS filter against the HRTF
renderer's (`filter_terms`: log-spectral distance weighted toward 4-16 kHz, impulse-response error,
interaural phase below 1.5 kHz). Validation adds TTMBA's eq. 5 terms (`loss_terms`) on 1 s audio clips
(speech, procedural sounds, coloured noise; 30 % moving) rendered by both renderers.

The checkpoint (weights, optimiser, step, curve), its JSON and a PNG of the curve are rewritten atomically
after every evaluation. The learning rate follows a cosine over --steps and every step's draw comes from
(seed, step), so a run may stop anywhere and resume to the same result.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from cascade.audio import fit_length
from cascade.cache import cache_root
from cascade.errors import RendererError
from cascade.files import atomic_path, write_bytes, write_text
from cascade.geometry import SPEED_OF_SOUND, to_cartesian
from cascade.training.sources import coloured_noise, has_speech, random_procedural, random_speech
from renderers.hrir import HrirSet, onsets
from renderers.hrtf import HrtfRenderer
from renderers.nfs import NeuralFourierShift, NfsConfig, load_checkpoint, read_checkpoint, render_sources, save_checkpoint, sphere_path
from renderers.path import SourcePath

DEFAULT_OUT = "nfs/nfs.pt"  # under cache_root()
DISTANCE_M = (1.0, 4.0)  # the HRTF renderer's near field (< 1 m) may change; train where it is settled
HORIZONTAL_DEG = 20.0
LATERAL_DEG = 50.0  # "near the interaural axis": lateral angle at least this
FRONT_BACK_HZ = (4000.0, 16000.0)
FRONT_BACK_WEIGHT = 3.0
ITD_HZ = 1500.0
FLOOR_DB = -60.0  # log-spectral distance: magnitudes below the target pair's peak by more than this count as this
CLIP_SECONDS = 1.0
MOVING_SHARE = 0.3
STFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))
WARMUP_STEPS = 100
SETTINGS = {"steps": 20000, "batch": 32, "lr": 1e-3, "seed": 0, "eval_every": 250, "val_clips": 16}


def draw_directions(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuths, elevations (deg) and distances (m) of `count` training sources (mixture in the module docstring)."""
    kind = rng.uniform(size=count)
    azimuth = rng.uniform(-180.0, 180.0, count)
    elevation = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    horizontal = (kind >= 0.5) & (kind < 0.75)
    elevation[horizontal] = rng.uniform(-HORIZONTAL_DEG, HORIZONTAL_DEG, horizontal.sum())
    lateral = kind >= 0.75
    side = np.radians(rng.uniform(LATERAL_DEG, 90.0, lateral.sum())) * rng.choice([-1.0, 1.0], lateral.sum())
    around = rng.uniform(0.0, 2 * np.pi, lateral.sum())
    x, y, z = np.cos(side) * np.cos(around), np.sin(side), np.cos(side) * np.sin(around)
    azimuth[lateral] = np.degrees(np.arctan2(y, x))
    elevation[lateral] = np.degrees(np.arcsin(np.clip(z, -1.0, 1.0)))
    distance = np.exp(rng.uniform(math.log(DISTANCE_M[0]), math.log(DISTANCE_M[1]), count))
    return azimuth, elevation, distance


def grid_directions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The validation grid: every 15° of azimuth at elevations -30, 0, 30 and 60°, 1.5 m (96 directions)."""
    azimuth, elevation = np.meshgrid(np.arange(-165.0, 181.0, 15.0), [-30.0, 0.0, 30.0, 60.0])
    return azimuth.ravel(), elevation.ravel(), np.full(azimuth.size, 1.5)


def head_fit(hrirs: HrirSet) -> tuple[float, float]:
    """(head radius m, common onset ms) of the rigid sphere (radius 7-11 cm, 0.5 mm steps) whose per-ear path
    delays best explain the HRIR onsets."""
    arrival = onsets(hrirs.hrirs) / hrirs.sample_rate
    source = torch.from_numpy(to_cartesian(hrirs.azimuth, hrirs.elevation, hrirs.distance)).float()
    sides = torch.stack([source, source * torch.tensor([1.0, -1.0, 1.0])], dim=1)
    fits = []
    for radius in np.arange(0.07, 0.11001, 0.0005):
        extra = ((sphere_path(sides, float(radius)) - float(hrirs.distance)) / SPEED_OF_SOUND).double().numpy()
        residual = arrival - extra
        fits.append((float(residual.var()), float(radius), float(residual.mean() * 1e3)))
    _, radius, onset = min(fits)
    return radius, onset


def target_filters(hrirs: HrirSet, azimuth: np.ndarray, elevation: np.ndarray, config: NfsConfig) -> torch.Tensor:
    """(k, 2, taps + 1) complex: the HRTF renderer's HRIR pairs for k directions, `latency` samples late, in
    the DFT (of 2 x taps) the NFS designs its filters on."""
    pairs = torch.from_numpy(hrirs.at_rate(config.sample_rate).interpolate(azimuth, elevation))
    return torch.fft.rfft(F.pad(pairs, (config.latency, 0))[..., : 2 * config.taps], 2 * config.taps)


def spectra(model: NeuralFourierShift, positions: torch.Tensor) -> torch.Tensor:
    """(..., 2, taps + 1) complex: the model's filters for positions (..., 3) m in their design DFT."""
    return torch.fft.rfft(model.filters(positions), 2 * model.config.taps)


def filter_terms(pred: torch.Tensor, target: torch.Tensor, sample_rate: int) -> dict[str, torch.Tensor]:
    """Filter-pair distances for (k, 2, bins) complex spectra of NFS and target filters.

    lsd: mean |level difference| in dB per bin, bins in 4-16 kHz weighted 3x, levels floored 60 dB under
    the target pair's peak; wave: squared impulse-response error over the target's energy (both ears);
    ipd: mean |interaural phase error| (rad) over bins up to 1.5 kHz, weighted by the target's cross magnitude.
    """
    hz = torch.linspace(0.0, sample_rate / 2, target.shape[-1], device=target.device)
    weight = 1.0 + (FRONT_BACK_WEIGHT - 1.0) * ((hz >= FRONT_BACK_HZ[0]) & (hz <= FRONT_BACK_HZ[1])).float()
    level_t, level_p = target.abs(), pred.abs()
    floor = level_t.amax(dim=(-2, -1), keepdim=True) * 10 ** (FLOOR_DB / 20)
    db = 20 * (torch.log10(torch.maximum(level_p, floor)) - torch.log10(torch.maximum(level_t, floor))).abs()
    lsd = (db * weight).sum(dim=-1) / weight.sum()
    wave = (pred - target).abs().square().sum(dim=(-2, -1)) / target.abs().square().sum(dim=(-2, -1))
    band = (hz > 0) & (hz <= ITD_HZ)
    cross_t = target[:, 0, band] * target[:, 1, band].conj()
    cross_p = pred[:, 0, band] * pred[:, 1, band].conj()
    error = torch.angle(cross_p * cross_t.conj() + 1e-12).abs()
    ipd = (error * cross_t.abs()).sum(dim=-1) / cross_t.abs().sum(dim=-1).clamp_min(1e-12)
    return {"lsd": lsd.mean(), "wave": wave.mean(), "ipd": ipd.mean()}


def filter_loss(terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """The training objective: lsd / 3 dB + wave / 2 + ipd."""
    return terms["lsd"] / 3.0 + terms["wave"] / 2 + terms["ipd"]


def _stft(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=x.device)
    return torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop, window=window, return_complex=True)


def loss_terms(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """TTMBA eq. 5 terms for (batch, 2, n) waveforms at 44.1 kHz.

    wave: 10³ · mean squared sample error; phase: mean |wrapped phase difference| (rad) over STFT bins
    (1024/256), weighted by the target magnitude over its mean; iid: 10 · mean squared difference of the
    per-bin interaural log-magnitude ratio ln(|L| / |R|); stft: mean over three resolutions of spectral
    convergence plus mean |log-magnitude difference|.
    """
    eps = 1e-5
    wave = 1e3 * F.mse_loss(pred, target)
    p, t = _stft(pred, 1024, 256), _stft(target, 1024, 256)
    weight = t.abs() / t.abs().mean().clamp_min(eps)
    phase = (torch.angle(p * t.conj() + eps).abs() * weight).mean()
    p, t = p.reshape(pred.shape[0], 2, *p.shape[1:]), t.reshape(pred.shape[0], 2, *t.shape[1:])
    iid_p = torch.log(p[:, 0].abs() + eps) - torch.log(p[:, 1].abs() + eps)
    iid_t = torch.log(t[:, 0].abs() + eps) - torch.log(t[:, 1].abs() + eps)
    iid = F.mse_loss(iid_p, iid_t)
    stft = torch.zeros((), device=pred.device)
    for n_fft, hop in STFT_RESOLUTIONS:
        mp, mt = _stft(pred, n_fft, hop).abs(), _stft(target, n_fft, hop).abs()
        stft = stft + torch.linalg.norm(mt - mp) / torch.linalg.norm(mt).clamp_min(eps)
        stft = stft + (torch.log(mt + eps) - torch.log(mp + eps)).abs().mean()
    return {"wave": wave, "phase": phase, "iid": 10 * iid, "stft": stft / len(STFT_RESOLUTIONS)}


def random_path(rng: np.random.Generator) -> SourcePath:
    """A static (70 %) or straight moving source from a drawn direction and distance."""
    azimuth, elevation, distance = (float(v[0]) for v in draw_directions(rng, 1))
    if rng.uniform() > MOVING_SHARE:
        return SourcePath.static(azimuth, elevation, distance)
    end = (azimuth + rng.uniform(-150, 150), float(np.clip(elevation + rng.uniform(-30, 30), -90, 90)),
           float(np.clip(distance * math.exp(rng.uniform(-0.7, 0.7)), *DISTANCE_M)))
    return SourcePath.from_keys([0.0, CLIP_SECONDS], [azimuth, end[0]], [elevation, end[1]], [distance, end[2]])


def audio_clips(count: int, sample_rate: int, seed: int) -> list[tuple[np.ndarray, SourcePath, np.ndarray]]:
    """(mono, path, HRTF renderer's binaural) for `count` 1 s clips: speech 40 % (when espeak-ng is
    installed; else procedural), procedural sounds 35 %, coloured noise 25 %, RMS -30 to -18 dBFS."""
    rng = np.random.default_rng(seed)
    renderer = HrtfRenderer()
    n = int(CLIP_SECONDS * sample_rate)
    speech_share = 0.4 if has_speech() else 0.0
    clips = []
    for _ in range(count):
        kind = rng.uniform()
        while True:
            source = (random_speech(rng, sample_rate) if kind < speech_share else random_procedural(rng, sample_rate)
                      if kind < 0.75 else coloured_noise(rng, sample_rate, 2 * CLIP_SECONDS))
            source = np.pad(source, (0, max(n - source.size, 0)))
            start = int(rng.integers(0, source.size - n + 1))
            segment = source[start : start + n]
            rms = float(np.sqrt(np.mean(segment**2)))
            if rms > 1e-4:
                break
        mono = (segment * (10 ** (rng.uniform(-30, -18) / 20) / rms)).astype(np.float32)
        path = random_path(rng)
        clips.append((mono, path, renderer.render(mono, sample_rate, path)))
    return clips


def evaluate(model: NeuralFourierShift, grid: tuple[torch.Tensor, torch.Tensor],
             clips: list[tuple[np.ndarray, SourcePath, np.ndarray]]) -> dict[str, float]:
    """Filter terms on the validation grid and eq. 5 terms on the audio clips (prefixed audio_)."""
    positions, targets = grid
    model.eval()
    with torch.no_grad():
        terms = filter_terms(spectra(model, positions), targets, model.config.sample_rate)
        found = {k: float(v) for k, v in terms.items()} | {"total": float(filter_loss(terms))}
        for mono, path, target in clips:
            render = fit_length(render_sources(model, mono, model.config.sample_rate, [(path, 1.0)]), target.shape[-1])
            for key, value in loss_terms(torch.from_numpy(render)[None], torch.from_numpy(target)[None]).items():
                found[f"audio_{key}"] = found.get(f"audio_{key}", 0.0) + float(value) / len(clips)
    model.train()
    return found


def learning_rate(step: int, steps: int, peak: float) -> float:
    """Linear warm-up over WARMUP_STEPS, then a cosine from `peak` to 5 % of it at `steps`."""
    if step < WARMUP_STEPS:
        return peak * (step + 1) / WARMUP_STEPS
    progress = min((step - WARMUP_STEPS) / max(steps - WARMUP_STEPS, 1), 1.0)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(out: Path, minutes: float, settings: dict, config: NfsConfig, resume: Path | None = None,
          device: str = "cpu", snapshots: bool = False) -> dict:
    """Train for `minutes` (or until the schedule's last step) from scratch, or from `resume` with its
    training state when it has one; rewrite `out`, its .json and .png after every evaluation. `settings`
    overrides SETTINGS (and a resumed run's own) where not None. Returns the metrics."""
    renderer = HrtfRenderer()
    state: dict = read_checkpoint(resume).get("training", {}) if resume is not None else {}
    settings = SETTINGS | state.get("settings", {}) | {k: v for k, v in settings.items() if v is not None}
    if resume is not None:
        model = load_checkpoint(resume)
    else:
        radius, onset = head_fit(renderer.hrirs.at_rate(config.sample_rate))
        model = NeuralFourierShift(NfsConfig(**(asdict(config) | {"head_radius": radius, "onset_ms": onset})))
    config = model.config
    model.to(device).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    if "optimiser" in state:
        optimiser.load_state_dict(state["optimiser"])
    step, history, runs = int(state.get("step", 0)), list(state.get("history", [])), list(state.get("runs", []))
    azimuth, elevation, distance = grid_directions()
    grid = (torch.from_numpy(to_cartesian(azimuth, elevation, distance)).float().to(device),
            target_filters(renderer.hrirs, azimuth, elevation, config).to(device))
    clips = audio_clips(settings["val_clips"], config.sample_rate, settings["seed"] + 1)
    metrics = {"config": asdict(config), "parameters": sum(p.numel() for p in model.parameters()),
               "target": "HrtfRenderer: MIT KEMAR (slab), diffuse-field equalised, 1.4 m", "settings": settings,
               "objective": "lsd / 3 dB + wave + ipd (filter_terms); validation: 96 grid directions, eq. 5 on audio"}
    if not history:
        history.append({"step": 0, "minutes": 0.0, "val": evaluate(model, grid, clips)})
    began = time.monotonic()
    before = sum(run.get("minutes", 0.0) for run in runs)
    runs.append({"from_step": step, "device": str(device), "threads": torch.get_num_threads()})
    running: dict[str, float] = {}
    last_print = time.monotonic()
    while step < settings["steps"] and time.monotonic() - began < minutes * 60:
        rng = np.random.default_rng([settings["seed"], step])
        azimuth, elevation, distance = draw_directions(rng, settings["batch"])
        positions = torch.from_numpy(to_cartesian(azimuth, elevation, distance)).float().to(device)
        terms = filter_terms(spectra(model, positions), target_filters(renderer.hrirs, azimuth, elevation, config).to(device),
                             config.sample_rate)
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(step, settings["steps"], settings["lr"])
        optimiser.zero_grad()
        filter_loss(terms).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        for key, value in terms.items():
            running[key] = running.get(key, 0.0) + value.item()
        running["count"] = running.get("count", 0.0) + 1
        if time.monotonic() - last_print > 30:
            print(f"step {step}: " + ", ".join(f"{k} {v / running['count']:.3f}" for k, v in running.items() if k != "count"),
                  flush=True)
            last_print = time.monotonic()
        done = step >= settings["steps"] or time.monotonic() - began >= minutes * 60
        if step % settings["eval_every"] == 0 or done:
            record = {"step": step, "minutes": round(before + (time.monotonic() - began) / 60, 2),
                      "train": {k: v / running["count"] for k, v in running.items() if k != "count"},
                      "val": evaluate(model, grid, clips)}
            runs[-1]["minutes"] = round((time.monotonic() - began) / 60, 2)
            runs[-1]["to_step"] = step
            history.append(record)
            running = {}
            print(json.dumps(record), flush=True)
            metrics.update(step=step, history=history, runs=runs)
            training = {"optimiser": optimiser.state_dict(), "step": step, "history": history, "runs": runs, "settings": settings}
            _save(model, out, metrics, {"training": training})
            if snapshots:
                _save(model, out.with_name(f"{out.stem}-step{step}{out.suffix}"), metrics)
    return metrics


def export(checkpoint: Path, out: Path, half: bool = False) -> None:
    """`checkpoint`'s weights (float16 when `half`) without training state to `out`, with its config and curve in JSON and PNG."""
    training = read_checkpoint(checkpoint).get("training", {})
    model = load_checkpoint(checkpoint)
    metrics = {"config": asdict(model.config), "parameters": sum(p.numel() for p in model.parameters()),
               "weights": "float16" if half else "float32"} | {k: training[k] for k in ("settings", "runs", "step", "history") if k in training}
    _save(model, out, metrics, half=half)


def _save(model: NeuralFourierShift, out: Path, metrics: dict, extra: dict | None = None, half: bool = False) -> None:
    """Checkpoint, its metrics JSON and curve PNG beside it, each written to a temporary file and renamed."""
    with atomic_path(out) as tmp:
        save_checkpoint(model, tmp, extra, half)
    write_text(out.with_suffix(".json"), json.dumps(metrics, indent=1))
    if metrics.get("history"):
        write_bytes(out.with_suffix(".png"), curve_png(metrics["history"]))


def curve_png(history: list[dict]) -> bytes:
    """PNG of the validation curve: filter terms and audio eq. 5 total against the step."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    figure, axes = plt.subplots(1, 4, figsize=(16, 3.5))
    for axis, key, title in zip(axes, ("lsd", "wave", "ipd", None),
                                ("log-spectral distance (dB)", "impulse-response error", "IPD error < 1.5 kHz (rad)",
                                 "audio eq. 5 terms")):
        if key is None:
            for term in ("audio_wave", "audio_phase", "audio_iid", "audio_stft"):
                axis.plot(steps, [h["val"][term] for h in history], marker=".", label=term[6:])
            axis.legend()
        else:
            axis.plot(steps, [h["val"][key] for h in history], marker=".", label="validation")
            train_steps = [h["step"] for h in history if "train" in h]
            axis.plot(train_steps, [h["train"][key] for h in history if "train" in h], marker=".", label="training", alpha=0.6)
            axis.legend()
        axis.set_title(title)
        axis.set_xlabel("step")
        axis.set_yscale("log")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def _config(overrides: list[str]) -> NfsConfig:
    """NfsConfig with KEY=VALUE overrides (e.g. channels=16 frame=4096), each cast to the field's type."""
    base = asdict(NfsConfig())
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in base:
            raise RendererError(f"--set takes KEY=VALUE with KEY one of {', '.join(base)}; got '{item}'")
        try:
            base[key] = type(base[key])(value)
        except ValueError:
            raise RendererError(f"--set {key} needs a {type(base[key]).__name__}, got '{value}'") from None
    return NfsConfig(**base)


def main(argv: list[str] | None = None) -> int:
    """CLI: train (or continue) a model, or export a checkpoint's weights alone."""
    default_out = cache_root() / DEFAULT_OUT
    parser = argparse.ArgumentParser(prog="cascade train-nfs", description=(
        "Train the Neural Fourier Shift renderer on the HRTF renderer (MIT KEMAR, diffuse-field equalised). "
        "Render with the result: cascade render ... --renderer nfs --nfs-checkpoint PATH."))
    parser.add_argument("--out", type=Path, default=default_out,
                        help=f"checkpoint to write (.pt, with .json and .png beside it); default {default_out} "
                             "($CASCADE_CACHE_DIR/nfs/nfs.pt); the shipped renderers/checkpoints/nfs.pt is never the default")
    parser.add_argument("--minutes", type=float, default=60.0, help="time for this stretch")
    parser.add_argument("--steps", type=int, help="steps the learning-rate schedule spans over all stretches (default 20000)")
    parser.add_argument("--batch", type=int, help="directions per step (default 32)")
    parser.add_argument("--lr", type=float, help="peak learning rate (default 1e-3)")
    parser.add_argument("--seed", type=int, help="seed of the draws and the initialisation (default 0)")
    parser.add_argument("--eval-every", type=int, help="steps between evaluations and checkpoints (default 250)")
    parser.add_argument("--val-clips", type=int, help="audio clips in the validation (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    parser.add_argument("--resume", type=Path, metavar="CHECKPOINT",
                        help="continue this checkpoint (its config, and its optimiser, step and settings when it has them)")
    parser.add_argument("--snapshots", action="store_true", help="also keep the weights of every evaluation (OUT-stepN.pt)")
    parser.add_argument("--export", type=Path, metavar="CHECKPOINT",
                        help="write CHECKPOINT's weights without training state to --out and exit")
    parser.add_argument("--half", action="store_true", help="with --export: store the weights in float16")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="network size overrides for a new model, e.g. --set channels=16 width=96")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.resume is not None and args.set:
        parser.error("--set changes a new model's size; a resumed checkpoint keeps its own")
    try:
        if args.export is not None:
            export(args.export, args.out, args.half)
            return 0
        torch.manual_seed(args.seed or 0)
        given = {"steps": args.steps, "batch": args.batch, "lr": args.lr, "seed": args.seed, "eval_every": args.eval_every,
                 "val_clips": args.val_clips}
        train(args.out, args.minutes, given, _config(args.set), args.resume, args.device, args.snapshots)
    except RendererError as err:
        parser.error(str(err))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
