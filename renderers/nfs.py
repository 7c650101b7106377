"""Neural Fourier Shift (NFS) binaural renderer, after Lee & Lee (ICASSP 2023) and TTMBA §2.2.

The mono signal is cut into Hann frames (50 % hop) and transformed with a zero-padded DFT. For every
frame, from the source position alone, a Scaler predicts a strictly positive magnitude and a Shifter a
bounded delay per ear, per channel (C per ear) and per DFT bin. The geometric time of flight g from the
source to each ear (straight, or around a rigid sphere of `head_radius` when the ear is in its shadow)
is added to the learned delay (φ = ϕ + g), the magnitude is multiplied by the distance gain
reference_distance / r, and the shift is applied as a linear phase. The C channels are summed with
learned non-negative weights (in the DFT domain, which equals the sum after the inverse DFT), then
inverse DFT and overlap-add. With every learned parameter at zero the output is the input delayed
by g per ear with a 1/r amplitude gain. No noise is injected.

The estimators see the geometry through sinusoidal encodings and learned Fourier features; frequency
tokens cross-attend to geometry tokens (source, ipsilateral-ear and contralateral-ear vectors) and pass
through squeeze-and-excitation and gMLP blocks. Each ear is predicted from the geometry mirrored to the
left side, so one estimator serves both ears. Source orientation is not modelled: a `SourcePath` carries
none (every source faces the listener).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cascade.audio import resample
from cascade.devices import torch_device
from cascade.geometry import SPEED_OF_SOUND, to_cartesian
from renderers import Renderer, RendererError
from renderers.path import SourcePath
from renderers.propagation import MIN_DISTANCE

DEFAULT_CHECKPOINT = Path(__file__).parent / "checkpoints" / "nfs.pt"
GUARD_SECONDS = 1e-3  # in-frame headroom for negative learned shifts


@dataclass(frozen=True)
class NfsConfig:
    """Sizes of the network; `frame` in samples at `sample_rate` (Hz), shifts in ms, lengths in metres."""

    sample_rate: int = 16000
    frame: int = 512
    channels: int = 12
    bands: int = 64
    width: int = 64
    blocks: int = 3
    heads: int = 4
    octaves: int = 6
    fourier_features: int = 16
    shift_min_ms: float = -1.0
    shift_max_ms: float = 12.0
    head_radius: float = 0.0875
    reference_distance: float = 1.4
    position_stride: int = 4  # moving sources: estimators run every this many frames, interpolated between

    @property
    def hop(self) -> int:
        return self.frame // 2

    @property
    def fft_size(self) -> int:
        return 2 * self.frame

    @property
    def bins(self) -> int:
        return self.frame + 1

    @classmethod
    def from_dict(cls, data: dict) -> NfsConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class FourierEncoding(nn.Module):
    """Input vector, its sinusoidal encoding (octaves of π) and learned Fourier features, projected to `width`."""

    def __init__(self, dims: int, octaves: int, features: int, width: int) -> None:
        super().__init__()
        self.register_buffer("scales", math.pi * 2.0 ** torch.arange(octaves, dtype=torch.float32), persistent=False)
        self.basis = nn.Parameter(torch.randn(dims, features))
        self.project = nn.Linear(dims * (1 + 2 * octaves) + 2 * features, width)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        angles = (v[..., None] * self.scales).flatten(-2)
        learned = 2 * math.pi * v @ self.basis
        return self.project(torch.cat([v, angles.sin(), angles.cos(), learned.sin(), learned.cos()], dim=-1))


class GatedMlp(nn.Module):
    """gMLP block (Liu et al. 2021): channel expansion and a spatial gating unit across the frequency tokens."""

    def __init__(self, width: int, tokens: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.expand = nn.Linear(width, 2 * width)
        self.gate_norm = nn.LayerNorm(width)
        self.spatial = nn.Linear(tokens, tokens)
        self.out = nn.Linear(width, width)
        nn.init.normal_(self.spatial.weight, std=1e-3)
        nn.init.ones_(self.spatial.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        u, v = F.gelu(self.expand(self.norm(h))).chunk(2, dim=-1)
        v = self.spatial(self.gate_norm(v).transpose(-1, -2)).transpose(-1, -2)
        return h + self.out(u * v)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation over the feature channels, squeezing across the frequency tokens."""

    def __init__(self, width: int, reduction: int = 4) -> None:
        super().__init__()
        self.down = nn.Linear(width, width // reduction)
        self.up = nn.Linear(width // reduction, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h * torch.sigmoid(self.up(F.relu(self.down(h.mean(dim=-2, keepdim=True)))))


class Block(nn.Module):
    """Cross-attention of frequency tokens to geometry tokens, then gMLP, then squeeze-and-excitation."""

    def __init__(self, width: int, heads: int, tokens: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.attend = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = GatedMlp(width, tokens)
        self.excite = SqueezeExcite(width)

    def forward(self, h: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor:
        h = h + self.attend(self.norm(h), geometry, geometry, need_weights=False)[0]
        return self.excite(self.mlp(h))


class NeuralFourierShift(nn.Module):
    """Scaler and Shifter over geometry, and the Fourier-shift synthesis of binaural frames."""

    def __init__(self, config: NfsConfig) -> None:
        super().__init__()
        self.config = c = config
        self.geometry = FourierEncoding(4, c.octaves, c.fourier_features, c.width)
        self.token_type = nn.Parameter(torch.zeros(3, c.width))
        self.frequency = FourierEncoding(1, c.octaves, c.fourier_features, c.width)
        self.scaler = nn.ModuleList([Block(c.width, c.heads, c.bands) for _ in range(c.blocks)])
        self.shifter = nn.ModuleList([Block(c.width, c.heads, c.bands) for _ in range(c.blocks)])
        self.scale_head = nn.Sequential(nn.LayerNorm(c.width), nn.Linear(c.width, c.channels))
        self.shift_head = nn.Sequential(nn.LayerNorm(c.width), nn.Linear(c.width, c.channels))
        self.channel_weight = nn.Parameter(torch.zeros(c.channels))
        for head in (self.scale_head[1], self.shift_head[1]):
            nn.init.normal_(head.weight, std=1e-2)
            nn.init.zeros_(head.bias)
        self.register_buffer("band_frequency", torch.linspace(-1.0, 1.0, c.bands)[:, None], persistent=False)
        self.register_buffer("interpolation", _interpolation_matrix(c.bands, c.bins), persistent=False)
        self.register_buffer("bin_hz", torch.arange(c.bins, dtype=torch.float32) * c.sample_rate / c.fft_size,
                             persistent=False)
        self.register_buffer("window", torch.hann_window(c.frame, periodic=True), persistent=False)
        lo, hi = c.shift_min_ms, c.shift_max_ms
        self._shift_offset = math.log(-lo / hi) if lo < 0 < hi else 0.0

    def set_mean_shift(self, seconds: float) -> None:
        """Initialise the Shifter's bias so the learned delay starts near `seconds` (e.g. the HRIRs' mean onset)."""
        lo, hi = self.config.shift_min_ms * 1e-3, self.config.shift_max_ms * 1e-3
        p = (min(max(seconds, lo), hi) - lo) / (hi - lo)
        with torch.no_grad():
            self.shift_head[1].bias.fill_(math.log(p / (1 - p)) - self._shift_offset)

    def ear_geometry(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per ear (left, right): geometry tokens (..., 2, 3, 4) mirrored to the left side, and time of flight (..., 2) s."""
        a, ref = self.config.head_radius, self.config.reference_distance
        mirror = torch.tensor([[1.0, 1.0, 1.0], [1.0, -1.0, 1.0]], device=positions.device)
        source = positions[..., None, :] * mirror
        ipsi = source - torch.tensor([0.0, a, 0.0], device=positions.device)
        contra = source + torch.tensor([0.0, a, 0.0], device=positions.device)
        vectors = torch.stack([source, ipsi, contra], dim=-2)
        lengths = vectors.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        tokens = torch.cat([vectors / lengths, torch.log(lengths / ref)], dim=-1)
        return tokens, sphere_path(source, a) / SPEED_OF_SOUND

    def estimate(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-magnitudes and learned shifts ϕ (s), each (..., 2, C, bins), and the time of flight g (..., 2) s,
        for source positions (..., 3) in metres (x front, y left, z up)."""
        c = self.config
        tokens, flight = self.ear_geometry(positions)
        lead = tokens.shape[:-2]
        geometry = (self.geometry(tokens) + self.token_type).reshape(-1, 3, c.width)
        query = self.frequency(self.band_frequency).expand(geometry.shape[0], -1, -1)
        scale, shift = query, query
        for block in self.scaler:
            scale = block(scale, geometry)
        for block in self.shifter:
            shift = block(shift, geometry)
        scale = self.interpolation @ self.scale_head(scale)
        shift = self.interpolation @ self.shift_head(shift)
        lo, hi = c.shift_min_ms * 1e-3, c.shift_max_ms * 1e-3
        shift = lo + (hi - lo) * torch.sigmoid(shift + self._shift_offset)
        return (scale.transpose(-1, -2).reshape(*lead, c.channels, c.bins),
                shift.transpose(-1, -2).reshape(*lead, c.channels, c.bins), flight)

    def estimate_strided(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-magnitudes and learned shifts of `estimate` for positions (batch, P, 3), computed on every
        `position_stride`-th frame (and the last) and linearly interpolated to all P frames."""
        count = positions.shape[-2]
        keys = torch.unique(torch.cat([torch.arange(0, count, self.config.position_stride), torch.tensor([count - 1])]))
        log_scale, shift, _ = self.estimate(positions[..., keys, :])
        if keys.numel() == count:
            return log_scale, shift
        mix = _interpolation_matrix(keys.numel(), count, keys.float()).to(positions.device)
        return torch.einsum("pk,bk...->bp...", mix, log_scale), torch.einsum("pk,bk...->bp...", mix, shift)

    def transfer(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame transfer functions (..., 2, bins) complex, relative to a whole-sample bulk delay (..., ) in samples."""
        c = self.config
        log_scale, shift = self.estimate_strided(positions)
        flight = self.ear_geometry(positions)[1]
        distance = positions.norm(dim=-1)
        gain = c.reference_distance / distance.clamp_min(MIN_DISTANCE)
        guard = math.ceil(GUARD_SECONDS * c.sample_rate)
        bulk = (torch.floor(flight.min(dim=-1).values * c.sample_rate) - guard).clamp_min(0).detach()
        residual = (shift + (flight - bulk[..., None] / c.sample_rate)[..., None, None]).clamp_min(0.0)
        weights = torch.exp(self.channel_weight) / c.channels
        spectra = torch.polar(torch.exp(log_scale) * weights[:, None], -2 * math.pi * self.bin_hz * residual)
        return spectra.sum(dim=-2) * gain[..., None, None], bulk

    def forward(self, mono: torch.Tensor, positions: torch.Tensor, length: int) -> torch.Tensor:
        """Binaural (batch, 2, length) from mono (batch, n) and positions (batch, P, 3) m, P = 1 (static) or
        one per frame (`frame_times(n)`); output sample k is at input time k."""
        c = self.config
        batch, n = mono.shape
        count = frame_count(n, c)
        padded = F.pad(mono, (c.hop, count * c.hop + c.hop - n))
        frames = padded.unfold(-1, c.frame, c.hop)[:, :count] * self.window
        spectra = torch.fft.rfft(frames, c.fft_size)
        transfer, bulk = self.transfer(positions)
        blocks = torch.fft.irfft(spectra[:, :, None] * transfer, c.fft_size)
        starts = torch.arange(count, device=mono.device) * c.hop + bulk.long().expand(batch, count)
        index = (starts[..., None] + torch.arange(c.fft_size, device=mono.device)).clamp_max(length + c.hop)
        out = torch.zeros(batch, 2, length + c.hop + 1, device=mono.device, dtype=blocks.dtype)
        index = index[:, None].expand(-1, 2, -1, -1).reshape(batch, 2, -1)
        out.scatter_add_(-1, index, blocks.transpose(1, 2).reshape(batch, 2, -1))
        return out[..., c.hop : c.hop + length]


def sphere_path(source: torch.Tensor, radius: float) -> torch.Tensor:
    """Shortest path length (m) from `source` (..., 3) to the ear at (0, radius, 0) on a rigid sphere:
    straight where the ear is in view, else the tangent line plus the arc along the surface (Woodworth)."""
    r = source.norm(dim=-1).clamp_min(1e-6)
    straight = (source - torch.tensor([0.0, radius, 0.0], device=source.device)).norm(dim=-1)
    angle = torch.acos((source[..., 1] / r).clamp(-1.0, 1.0))
    tangent = torch.acos((radius / r).clamp(max=1.0))
    around = torch.sqrt((r**2 - radius**2).clamp_min(0.0)) + radius * (angle - tangent)
    return torch.where((angle <= tangent) | (r <= radius), straight, around)


def _interpolation_matrix(bands: int, bins: int, at: torch.Tensor | None = None) -> torch.Tensor:
    """(bins, bands) linear interpolation from `bands` points (equally spaced, or at the increasing
    indices `at` of a grid of `bins`) to `bins` equally spaced points."""
    position = torch.linspace(0.0, bands - 1.0, bins)
    if at is not None:
        grid = torch.arange(bins, dtype=torch.float32)
        low = (torch.searchsorted(at, grid, right=True) - 1).clamp(0, bands - 2)
        position = low + (grid - at[low]) / (at[low + 1] - at[low])
    low = position.floor().long().clamp_max(bands - 2)
    fraction = position - low
    matrix = torch.zeros(bins, bands)
    matrix[torch.arange(bins), low] = 1 - fraction
    matrix[torch.arange(bins), low + 1] = fraction
    return matrix


def frame_count(n: int, config: NfsConfig) -> int:
    """Frames covering n input samples (the first starts half a frame before sample 0)."""
    return -(-(n + config.hop) // config.hop)


def frame_times(n: int, config: NfsConfig) -> np.ndarray:
    """Centre time (s, input clock) of each frame for n input samples."""
    return np.arange(frame_count(n, config)) * config.hop / config.sample_rate


def path_positions(path: SourcePath, n: int, config: NfsConfig) -> np.ndarray:
    """(P, 3) float32 positions (m): one for a static path, else one per frame centre."""
    times = frame_times(n, config) if path.moves else np.zeros(1)
    azimuth, elevation, distance = path.at(times)
    return to_cartesian(azimuth, elevation, distance).astype(np.float32)


def save_checkpoint(model: NeuralFourierShift, path: str | Path) -> None:
    """Config and weights in one torch file."""
    torch.save({"config": asdict(model.config), "state": model.state_dict()}, str(path))


def load_checkpoint(path: str | Path) -> NeuralFourierShift:
    """The model in `path`; raises RendererError with a one-line reason when missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise RendererError(f"NFS checkpoint {path} not found; train one with `cascade train-nfs` or pass checkpoint=PATH")
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
        model = NeuralFourierShift(NfsConfig.from_dict(data["config"]))
        model.load_state_dict(data["state"])
    except Exception as error:  # torch raises many kinds for a truncated or foreign file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RendererError(f"NFS checkpoint {path.name} is unreadable ({reason}); retrain with `cascade train-nfs`") from None
    return model.eval()


class NfsRenderer(Renderer):
    """Binaural rendering with a trained Neural Fourier Shift network (the shipped checkpoint by default).

    Works at the network's rate (16 kHz in the shipped model) and resamples at its boundary, so the
    output holds no energy above half that rate.
    """

    name = "nfs"

    def __init__(self, checkpoint: str | Path | None = None, device: str | None = None) -> None:
        self.device = torch_device(device, RendererError)
        self.model = load_checkpoint(DEFAULT_CHECKPOINT if checkpoint is None else checkpoint).to(self.device)
        self.config = self.model.config
        self.reference_distance = self.config.reference_distance

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray:
        """(2, n) float32, n = len(mono) + max propagation delay + one frame (samples at `sample_rate`)."""
        return self.render_many(mono, sample_rate, [(path, 1.0)])

    def render_many(self, mono: np.ndarray, sample_rate: int, sources: list[tuple[SourcePath, float]]) -> np.ndarray:
        """(2, n) float32 sum over (path, gain), resampled to the network's rate and back once for all of them."""
        c = self.config
        mono = np.asarray(mono, dtype=np.float32).reshape(-1)
        inner = torch.from_numpy(resample(mono, sample_rate, c.sample_rate))[None].to(self.device)
        delay = max(float(path.distance.max()) for path, _ in sources) / SPEED_OF_SOUND
        length = inner.shape[-1] + math.ceil(delay * c.sample_rate) + c.frame
        out = torch.zeros(2, length, device=self.device)
        with torch.inference_mode():
            for path, gain in sources:
                positions = torch.from_numpy(path_positions(path, inner.shape[-1], c))[None].to(self.device)
                out += gain * self.model(inner, positions, length)[0]
        size = mono.size + math.ceil(delay * sample_rate) + math.ceil(c.frame * sample_rate / c.sample_rate)
        out_rate = resample(out.cpu().numpy(), c.sample_rate, sample_rate)
        return np.ascontiguousarray(np.pad(out_rate, ((0, 0), (0, max(size - out_rate.shape[-1], 0))))[:, :size], dtype=np.float32)
