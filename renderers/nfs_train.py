"""Train the NFS renderer on MIT KEMAR renders: data set, loss (TTMBA eq. 5), loop, checkpoint.

    python -m renderers.nfs_train --data /tmp/nfs_data --minutes 45

Mono sources (espeak-ng speech from random word strings, procedural sound classes, coloured noise) are
rendered at 16 kHz through `HrtfRenderer` (MIT KEMAR, 1.4 m) at random directions, distances and
straight-line trajectories; the data set is generated once into `--data`. The checkpoint and a JSON
of config and metrics are rewritten after every epoch, so a stopped run leaves a usable model.
This tool imports `cascade.generators` (procedural sources), unlike the renderers themselves.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from cascade.audio import fit_length, read_audio, resample
from cascade.files import atomic_path, write_text
from cascade.geometry import SPEED_OF_SOUND
from renderers import RendererError
from renderers.hrir import kemar, onsets
from renderers.hrtf import HrtfRenderer
from renderers.nfs import NeuralFourierShift, NfsConfig, load_checkpoint, path_positions, save_checkpoint
from renderers.path import SourcePath

CLIP_SECONDS = 1.0
MAX_DISTANCE = 4.0  # m
MIN_DISTANCE = 0.5  # m
MOVING_SHARE = 0.3
STFT_RESOLUTIONS = ((256, 64), (512, 128), (1024, 256))
WORDS = ["time", "person", "year", "way", "day", "thing", "man", "world", "life", "hand", "part", "child", "eye", "woman", "place", "work", "week", "case", "point", "number", "group", "problem", "fact", "water", "room", "mother", "area", "money", "story", "month", "lot", "right", "study", "book", "word", "business", "issue", "side", "kind", "head", "house", "service", "friend", "father", "power", "hour", "game", "line", "end", "member", "law", "car", "city", "name", "team", "minute", "idea", "kid", "body", "back", "parent", "face", "others", "level", "office", "door", "health", "art", "war", "history", "party", "result", "change", "morning", "reason", "research", "girl", "guy", "moment", "air", "teacher", "force", "education", "open", "walk", "carry", "sing", "quickly", "slowly", "bright", "green", "under", "over", "through", "seven", "twelve", "purple", "silver", "garden", "window", "river", "mountain"]
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us+f3", "en-us+m3", "en-gb+f2", "en-us+f5")


def espeak(text: str, voice: str, sample_rate: int, workdir: Path, options: tuple[str, ...] = ()) -> np.ndarray:
    """Mono float32 speech of `text` by Debian's espeak-ng (`options` e.g. ("-s", "150")), at `sample_rate` Hz."""
    wav = workdir / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, *options, "-w", str(wav), text], check=True, capture_output=True)
    audio, rate = read_audio(wav)
    return resample(audio[0], rate, sample_rate)


def speech(rng: np.random.Generator, sample_rate: int, workdir: Path) -> np.ndarray:
    """A few seconds of espeak-ng speech from a random word string, random voice, speed and pitch."""
    text = " ".join(rng.choice(WORDS, size=int(rng.integers(6, 14))))
    voice = str(rng.choice(VOICES))  # drawn in this order so a seed still makes the same data set
    options = ("-s", str(int(rng.integers(120, 200))), "-p", str(int(rng.integers(20, 80))))
    return espeak(text, voice, sample_rate, workdir, options)


def procedural(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Two seconds of a random procedural sound class (seeds 10_000 and up; the benchmark uses others)."""
    from cascade.generators.procedural import ProceduralGenerator
    from cascade.generators.sounds import SOUNDS

    generator = ProceduralGenerator()
    clip = generator.synthesise(str(rng.choice(list(SOUNDS))), 2.0, int(rng.integers(10_000, 1_000_000)))
    return resample(clip, generator.sample_rate, sample_rate)


def coloured_noise(rng: np.random.Generator, sample_rate: int, seconds: float) -> np.ndarray:
    """Noise with a 1/f^α power spectrum (α in [0, 2]) under a random slow amplitude envelope."""
    n = int(seconds * sample_rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequency = np.maximum(np.fft.rfftfreq(n, 1 / sample_rate), 20.0)
    noise = np.fft.irfft(spectrum * frequency ** (-rng.uniform(0, 2) / 2), n)
    envelope = np.interp(np.arange(n), np.linspace(0, n, 9), rng.uniform(0.1, 1.0, 9))
    return (noise * envelope).astype(np.float32)


def random_path(rng: np.random.Generator) -> SourcePath:
    """A static (70 %) or straight moving source: azimuth uniform, elevation in [-40, 70]°, distance log-uniform."""
    def point(base: tuple[float, float, float] | None = None) -> tuple[float, float, float]:
        if base is None:
            distance = math.exp(rng.uniform(math.log(MIN_DISTANCE), math.log(MAX_DISTANCE)))
            return (rng.uniform(-180, 180), rng.uniform(-40, 70), distance)
        return (base[0] + rng.uniform(-150, 150), float(np.clip(base[1] + rng.uniform(-30, 30), -40, 70)),
                float(np.clip(base[2] * math.exp(rng.uniform(-0.7, 0.7)), MIN_DISTANCE, MAX_DISTANCE)))
    start = point()
    if rng.uniform() > MOVING_SHARE:
        return SourcePath.static(*start)
    end = point(start)
    return SourcePath.from_keys([0.0, CLIP_SECONDS], [start[0], end[0]], [start[1], end[1]], [start[2], end[2]])


def make_dataset(directory: Path, clips: int, config: NfsConfig, seed: int = 0) -> None:
    """Write `clips` examples to `directory`/data.npz: mono (k, n), target (k, 2, L), positions (k, T, 3), moving (k,)."""
    rng = np.random.default_rng(seed)
    sr, n = config.sample_rate, int(CLIP_SECONDS * config.sample_rate)
    length = target_length(n, config)
    renderer = HrtfRenderer()
    mono = np.zeros((clips, n), np.float32)
    target = np.zeros((clips, 2, length), np.float32)
    frames = path_positions(SourcePath.from_keys([0, 1], [0, 0], [0, 0], [1, 1]), n, config).shape[0]
    positions = np.zeros((clips, frames, 3), np.float32)
    moving = np.zeros(clips, bool)
    speech_share = 0.4 if shutil.which("espeak-ng") else 0.0  # Debian espeak-ng; its share goes to procedural sounds
    with tempfile.TemporaryDirectory() as work:
        for k in range(clips):
            kind = rng.uniform()
            while True:
                source = (speech(rng, sr, Path(work)) if kind < speech_share else procedural(rng, sr) if kind < 0.75
                          else coloured_noise(rng, sr, 2 * CLIP_SECONDS))
                if source.size < n:
                    source = np.pad(source, (0, n - source.size))
                start = int(rng.integers(0, source.size - n + 1))
                segment = source[start : start + n]
                rms = float(np.sqrt(np.mean(segment**2)))
                if rms > 1e-4:
                    break
            mono[k] = segment * (10 ** (rng.uniform(-30, -18) / 20) / rms)
            path = random_path(rng)
            moving[k] = path.moves
            positions[k] = path_positions(path, n, config)
            target[k] = fit_length(renderer.render(mono[k], sr, path), length)
    directory.mkdir(parents=True, exist_ok=True)
    sources = f"espeak-ng speech {speech_share:.0%}, procedural {0.75 - speech_share:.0%}, coloured noise 25%"
    np.savez(directory / "data.npz", mono=mono, target=target, positions=positions, moving=moving, sources=np.array(sources))


def target_length(n: int, config: NfsConfig) -> int:
    """Output samples compared in training: the clip, the longest travel time and one frame."""
    return n + math.ceil(MAX_DISTANCE / SPEED_OF_SOUND * config.sample_rate) + config.frame


def _stft(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=x.device)
    return torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop, window=window, return_complex=True)


def loss_terms(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """TTMBA eq. 5 terms for (batch, 2, n) waveforms.

    wave: 10³ · mean squared sample error; phase: mean |wrapped phase difference| (rad) over STFT bins
    (512/128), weighted by the target magnitude over its mean; iid: mean squared difference of the
    per-bin interaural log-magnitude ratio ln(|L| / |R|); stft: mean over three resolutions of spectral
    convergence plus mean |log-magnitude difference|.
    """
    eps = 1e-5
    wave = 1e3 * F.mse_loss(pred, target)
    p, t = _stft(pred, 512, 128), _stft(target, 512, 128)
    weight = t.abs() / t.abs().mean().clamp_min(eps)
    phase = (torch.angle(p * t.conj() + eps).abs() * weight).mean()
    p, t = p.reshape(pred.shape[0], 2, *p.shape[1:]), t.reshape(pred.shape[0], 2, *t.shape[1:])
    iid_p = torch.log(p[:, 0].abs() + eps) - torch.log(p[:, 1].abs() + eps)
    iid_t = torch.log(t[:, 0].abs() + eps) - torch.log(t[:, 1].abs() + eps)
    iid = F.mse_loss(iid_p, iid_t)
    stft = 0.0
    for n_fft, hop in STFT_RESOLUTIONS:
        mp, mt = _stft(pred, n_fft, hop).abs(), _stft(target, n_fft, hop).abs()
        stft = stft + torch.linalg.norm(mt - mp) / torch.linalg.norm(mt).clamp_min(eps)
        stft = stft + (torch.log(mt + eps) - torch.log(mp + eps)).abs().mean()
    return {"wave": wave, "phase": phase, "iid": 10 * iid, "stft": stft / len(STFT_RESOLUTIONS)}


def predict(model: NeuralFourierShift, mono: torch.Tensor, positions: torch.Tensor, moving: torch.Tensor,
            length: int) -> torch.Tensor:
    """Model output for a batch mixing static sources (one position) and moving ones (one per frame)."""
    out = torch.zeros(mono.shape[0], 2, length, device=mono.device)
    for mask, sl in ((~moving, slice(0, 1)), (moving, slice(None))):
        if mask.any():
            out[mask] = model(mono[mask], positions[mask][:, sl], length)
    return out


def evaluate(model: NeuralFourierShift, data: dict[str, torch.Tensor], batch: int = 16) -> dict[str, float]:
    """Mean loss terms over a held-out split."""
    totals: dict[str, float] = {}
    count = data["mono"].shape[0]
    with torch.no_grad():
        for start in range(0, count, batch):
            part = {k: v[start : start + batch] for k, v in data.items()}
            terms = loss_terms(predict(model, part["mono"], part["positions"], part["moving"], part["target"].shape[-1]),
                               part["target"])
            for key, value in terms.items():
                totals[key] = totals.get(key, 0.0) + float(value) * part["mono"].shape[0] / count
    totals["total"] = sum(totals.values())
    return totals


def train(data_dir: Path, out: Path, minutes: float, batch: int, seed: int, config: NfsConfig,
          resume: Path | None = None, lr: float = 1e-3, device: str = "cpu") -> dict:
    """Train until `minutes` have passed, from scratch with `config` or from the checkpoint `resume`
    (its config wins); rewrite `out` (.pt) and its .json after every epoch. Returns the metrics."""
    torch.manual_seed(seed)
    arrays = np.load(data_dir / "data.npz")
    data = {k: torch.from_numpy(arrays[k]).to(device) for k in ("mono", "target", "positions", "moving")}
    count = data["mono"].shape[0]
    held = max(count // 20, min(32, count // 4))
    if count - held < batch:
        raise RendererError(f"{count} clips leave {count - held} for training, fewer than --batch {batch}; "
                         "make a larger data set (--clips) in a new --data folder")
    val = {k: v[:held] for k, v in data.items()}
    train_set = {k: v[held:] for k, v in data.items()}
    if resume is not None:
        model = load_checkpoint(resume).train()
        config = model.config
    else:
        model = NeuralFourierShift(config)
        model.set_mean_shift(float(onsets(kemar().at_rate(config.sample_rate).hrirs).mean()) / config.sample_rate)
    model.to(device)
    optimiser = torch.optim.RAdam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=0.9)
    history: list[dict] = []
    began, steps, epoch = time.monotonic(), 0, 0
    sources = str(arrays["sources"]) if "sources" in arrays else "espeak-ng speech 40%, procedural 35%, coloured noise 25%"
    metrics = {"config": asdict(config), "parameters": sum(p.numel() for p in model.parameters()),
               "resumed_from": str(resume) if resume is not None else None, "device": str(device),
               "data": {"clips_train": int(train_set["mono"].shape[0]), "clips_val": held, "clip_seconds": CLIP_SECONDS,
                        "hrtf": "MIT KEMAR (slab), 1.4 m", "distance_m": [MIN_DISTANCE, MAX_DISTANCE],
                        "elevation_deg": [-40, 70], "moving_share": MOVING_SHARE, "sources": sources, "seed": seed},
               "optimiser": f"RAdam lr {lr:g}, x0.9 per epoch, batch {batch}, grad-norm clip 1",
               "initial_val": evaluate(model, val)}
    earlier = resume.with_suffix(".json") if resume is not None else None
    if earlier is not None and earlier.is_file():
        metrics["earlier_run"] = json.loads(earlier.read_text())  # the checkpoint's own training, nested run by run
    while time.monotonic() - began < minutes * 60:
        order = torch.randperm(train_set["mono"].shape[0], device=device)
        running: dict[str, float] = {}
        epoch_steps = 0
        for start in range(0, order.numel() - batch + 1, batch):
            part = {k: v[order[start : start + batch]] for k, v in train_set.items()}
            terms = loss_terms(predict(model, part["mono"], part["positions"], part["moving"], part["target"].shape[-1]),
                               part["target"])
            loss = sum(terms.values())
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            steps += 1
            epoch_steps += 1
            for key, value in terms.items():
                running[key] = running.get(key, 0.0) + value.item()
            if time.monotonic() - began >= minutes * 60:
                break
        epoch += 1
        schedule.step()
        record = {"epoch": epoch, "steps": steps, "minutes": round((time.monotonic() - began) / 60, 2),
                  "train": {k: v / max(epoch_steps, 1) for k, v in running.items()}, "val": evaluate(model, val)}
        history.append(record)
        print(json.dumps(record), flush=True)
        metrics.update(epochs=epoch, steps=steps, history=history, final_val=record["val"])
        _save(model, out, metrics)
    return metrics


def _save(model: NeuralFourierShift, out: Path, metrics: dict) -> None:
    """Checkpoint and metrics JSON beside it, each written to a temporary file and renamed."""
    with atomic_path(out) as tmp:
        save_checkpoint(model, tmp)
    write_text(out.with_suffix(".json"), json.dumps(metrics, indent=1))


def _config(overrides: list[str]) -> NfsConfig:
    """NfsConfig with KEY=VALUE overrides (e.g. channels=128 frame=1600), each cast to the field's type."""
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
    """CLI: generate the data set if missing, then train."""
    parser = argparse.ArgumentParser(prog="cascade train-nfs", description="Train the Neural Fourier Shift renderer on MIT KEMAR.")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "nfs_data",
                        help="data set folder (made if missing)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "checkpoints" / "nfs.pt",
                        help="checkpoint path (.pt); its .json gets the config and metrics")
    parser.add_argument("--clips", type=int, default=2400, help="examples of 1 s to generate")
    parser.add_argument("--minutes", type=float, default=50.0, help="training time budget")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3, help="initial learning rate (x0.9 per epoch)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data set and the initialisation")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda for the larger configuration")
    parser.add_argument("--resume", type=Path, metavar="CHECKPOINT", help="continue training this checkpoint (its config is kept)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="network size overrides for a new model, e.g. --set channels=128 frame=1600 shift_max_ms=50")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.resume is not None and args.set:
        parser.error("--set changes a new model's size; a resumed checkpoint keeps its own")
    try:
        config = load_checkpoint(args.resume).config if args.resume is not None else _config(args.set)
        if not (args.data / "data.npz").is_file():
            began = time.monotonic()
            make_dataset(args.data, args.clips, config, args.seed)
            print(f"data set: {args.clips} clips in {time.monotonic() - began:.0f} s", flush=True)
        train(args.data, args.out, args.minutes, args.batch, args.seed, config, args.resume, args.lr, args.device)
    except RendererError as err:
        parser.error(str(err))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
