"""Neural Fourier Shift (NFS) binaural renderer, after Lee & Lee (ICASSP 2023) and TTMBA §2.2, at the full band.

The mono signal comes in already propagated to the head centre (travel delay, Doppler and the 1/r gain,
by `renderers.propagation`, as for the HRTF renderer). From the source position alone, a Scaler predicts
a strictly positive magnitude and a Shifter a bounded delay ϕ per ear, per channel (C per ear) and per
frequency band (`bands` points equally spaced in mel up to half the rate, linearly interpolated to the
bins of a DFT of 2 x `taps`). Each ear's filter is the sum over channels (learned non-negative weights)
of that magnitude times the linear phase of ϕ, times a pure geometric delay: the target head's common
onset plus the extra path from the head centre to that ear around a rigid sphere of `head_radius`
(Woodworth), so the interaural delay is geometric whatever the learned part does. The filter is then cut
to `taps` samples (a Tukey window). A static source is one convolution with each ear's filter; a moving
one is cut into Hann frames (50 % hop), each filtered through a DFT of twice the frame by the filters of
its position and overlap-added. Because a filter never exceeds a frame, circular convolution equals
linear convolution in every frame. Uncut filters used to wrap around the frame, which made the
overlap-add time-variant: it leaked every frequency into every other at the frame rate, identically in
both ears, so a source with no energy below 1.5 kHz had no interaural delay there.

With every learned parameter at zero an ear's output is the input delayed by the onset plus that ear's
extra path / c. The estimators see the geometry through sinusoidal encodings and learned Fourier
features; frequency tokens cross-attend to geometry tokens (source, ipsilateral-ear and contralateral-ear
vectors) and pass through squeeze-and-excitation and gMLP blocks. Each ear is predicted from the geometry
mirrored to the left side, so one estimator serves both ears. Source orientation is not modelled.
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
from renderers.propagation import emission_times, propagate, propagated_length

DEFAULT_CHECKPOINT = Path(__file__).parent / "checkpoints" / "nfs.pt"
KEY_STRIDE = 16  # frames (0.37 s at 44.1 kHz): a moving source's learned response is computed at least this often ...
KEY_DEGREES = 5.0  # ... and whenever its direction has turned this far (the spacing of KEMAR's horizontal measurements)


@dataclass(frozen=True)
class NfsConfig:
    """Sizes of the network: `frame` and `taps` in samples at `sample_rate` (Hz), delays in ms, lengths in metres.

    `latency_ms` is the headroom each filter keeps before the earliest arrival for its acausal part;
    `onset_ms` the target head's common delay after the spherical-head arrival (fitted at training).
    """

    sample_rate: int = 44100
    frame: int = 2048
    taps: int = 1024
    latency_ms: float = 2.0
    channels: int = 12
    bands: int = 128
    width: int = 64
    blocks: int = 3
    heads: int = 4
    octaves: int = 6
    fourier_features: int = 16
    shift_min_ms: float = -1.0
    shift_max_ms: float = 4.0
    head_radius: float = 0.0875
    onset_ms: float = 0.9
    reference_distance: float = 1.4

    def __post_init__(self) -> None:
        if self.frame < 16 or self.frame % 2 or not 2 * self.latency <= self.taps <= self.frame:
            raise RendererError(f"NFS sizes: frame must be even and >= 16, taps within [2 x latency, frame]; "
                                f"got frame={self.frame}, taps={self.taps}, latency={self.latency} samples")
        if not self.shift_min_ms < 0 < self.shift_max_ms or self.width % self.heads or self.bands < 2:
            raise RendererError("NFS sizes: shift_min_ms < 0 < shift_max_ms, width a multiple of heads, bands >= 2")

    @property
    def hop(self) -> int:
        return self.frame // 2

    @property
    def fft_size(self) -> int:
        return 2 * self.frame

    @property
    def bins(self) -> int:
        return self.frame + 1

    @property
    def design_bins(self) -> int:
        """DFT bins on which each filter is designed (a DFT of 2 x taps) before it is cut to `taps`."""
        return self.taps + 1

    @property
    def latency(self) -> int:
        """Headroom in samples."""
        return math.ceil(self.latency_ms * 1e-3 * self.sample_rate)

    @classmethod
    def from_dict(cls, data: dict) -> NfsConfig:
        """The config stored in a checkpoint; RendererError when it lacks fields (an older NFS)."""
        names = {f.name for f in fields(cls)}
        missing = sorted(names - set(data))
        if missing:
            raise RendererError(f"checkpoint config lacks {', '.join(missing)}: it was written by an older NFS; "
                                "retrain with `cascade train-nfs`")
        return cls(**{k: v for k, v in data.items() if k in names})


class FourierEncoding(nn.Module):
    """Input vector, its sinusoidal encoding (octaves of π) and learned Fourier features, projected to `width`."""

    scales: torch.Tensor

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
    """Scaler and Shifter over geometry, each ear's time-limited filter, and the framed synthesis of binaural audio."""

    band_frequency: torch.Tensor
    to_bins: torch.Tensor
    bin_hz: torch.Tensor
    window: torch.Tensor
    taper: torch.Tensor

    def __init__(self, config: NfsConfig) -> None:
        super().__init__()
        self.config = c = config
        self.geometry = FourierEncoding(4, c.octaves, c.fourier_features, c.width)
        self.token_type = nn.Parameter(torch.zeros(3, c.width))
        self.frequency = FourierEncoding(1, c.octaves, c.fourier_features, c.width)
        self.scaler = nn.ModuleList([Block(c.width, c.heads, c.bands) for _ in range(c.blocks)])
        self.shifter = nn.ModuleList([Block(c.width, c.heads, c.bands) for _ in range(c.blocks)])
        heads = [nn.Linear(c.width, c.channels) for _ in range(2)]
        for head in heads:
            nn.init.normal_(head.weight, std=1e-2)
            nn.init.zeros_(head.bias)
        self.scale_head = nn.Sequential(nn.LayerNorm(c.width), heads[0])
        self.shift_head = nn.Sequential(nn.LayerNorm(c.width), heads[1])
        self.channel_weight = nn.Parameter(torch.zeros(c.channels))
        self.register_buffer("band_frequency", torch.linspace(-1.0, 1.0, c.bands)[:, None], persistent=False)
        self.register_buffer("to_bins", _band_interpolation(c.bands, c.design_bins, c.sample_rate), persistent=False)
        self.register_buffer("bin_hz", torch.linspace(0.0, c.sample_rate / 2, c.design_bins), persistent=False)
        self.register_buffer("window", torch.hann_window(c.frame, periodic=True), persistent=False)
        self.register_buffer("taper", _tukey(c.taps, c.latency // 2, c.taps // 8), persistent=False)
        self._shift_offset = math.log(-c.shift_min_ms / c.shift_max_ms)

    def ear_geometry(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per ear (left, right): geometry tokens (..., 2, 3, 4) mirrored to the left side, and the extra
        path (..., 2) in s from the head centre to the ear around the sphere (negative on the near side)."""
        a, ref = self.config.head_radius, self.config.reference_distance
        mirror = torch.tensor([[1.0, 1.0, 1.0], [1.0, -1.0, 1.0]], device=positions.device)
        source = positions[..., None, :] * mirror
        ipsi = source - torch.tensor([0.0, a, 0.0], device=positions.device)
        contra = source + torch.tensor([0.0, a, 0.0], device=positions.device)
        vectors = torch.stack([source, ipsi, contra], dim=-2)
        lengths = vectors.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        tokens = torch.cat([vectors / lengths, torch.log(lengths / ref)], dim=-1)
        return tokens, (sphere_path(source, a) - source.norm(dim=-1)) / SPEED_OF_SOUND

    def estimate(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-magnitudes and learned delays ϕ (s), each (..., 2, C, design_bins), and each ear's pure delay (..., 2) s
        (latency + onset + extra path), for source positions (..., 3) in metres (x front, y left, z up)."""
        c = self.config
        tokens, extra = self.ear_geometry(positions)
        lead = tokens.shape[:-2]
        geometry = (self.geometry(tokens) + self.token_type).reshape(-1, 3, c.width)
        query = self.frequency(self.band_frequency).expand(geometry.shape[0], -1, -1)
        scale, shift = query, query
        for block in self.scaler:
            scale = block(scale, geometry)
        for block in self.shifter:
            shift = block(shift, geometry)
        scale = self.scale_head(scale).transpose(-1, -2) @ self.to_bins
        shift = self.shift_head(shift).transpose(-1, -2) @ self.to_bins
        lo, hi = c.shift_min_ms * 1e-3, c.shift_max_ms * 1e-3
        shift = lo + (hi - lo) * torch.sigmoid(shift + self._shift_offset)
        delay = extra + self.common_delay
        return (scale.reshape(*lead, c.channels, c.design_bins), shift.reshape(*lead, c.channels, c.design_bins),
                delay)

    def learned(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each ear's learned response (..., 2, design_bins) complex (channels summed, no pure delay) and pure
        delay (..., 2) s, for source positions (..., 3) m."""
        c = self.config
        log_scale, shift, delay = self.estimate(positions)
        magnitude = torch.exp(log_scale + self.channel_weight[:, None]) / c.channels
        phase = (-2 * math.pi) * self.bin_hz * shift
        return torch.complex((magnitude * phase.cos()).sum(dim=-2), (magnitude * phase.sin()).sum(dim=-2)), delay

    def cut(self, spectra: torch.Tensor, delay: torch.Tensor) -> torch.Tensor:
        """FIRs (..., 2, taps): learned responses `spectra` delayed by `delay` (..., 2) s, cut to `taps` samples."""
        spectra = spectra * torch.polar(torch.ones_like(self.bin_hz), (-2 * math.pi) * self.bin_hz * delay[..., None])
        return torch.fft.irfft(spectra, 2 * self.config.taps)[..., : self.config.taps] * self.taper

    def filters(self, positions: torch.Tensor) -> torch.Tensor:
        """Each ear's FIR (..., 2, taps) for source positions (..., 3) m; its sample 0 is `latency` samples
        before the sound reaches the head centre."""
        return self.cut(*self.learned(positions))

    def path_filters(self, positions: torch.Tensor) -> torch.Tensor:
        """`filters` (batch, P, 2, taps) for positions (batch, P, 3): the pure delays exact at every frame, the
        learned responses computed at `key_frames` and linearly interpolated between."""
        count = positions.shape[-2]
        keys = key_frames(positions).to(positions.device)
        spectra, _ = self.learned(positions[:, keys])
        if keys.numel() < count:
            mix = _interpolation_matrix(keys.numel(), count, keys.float().cpu()).to(positions.device)
            spectra = torch.view_as_complex(torch.einsum("pk,bk...->bp...", mix, torch.view_as_real(spectra)).contiguous())
        return self.cut(spectra, self.ear_geometry(positions)[1] + self.common_delay)

    @property
    def common_delay(self) -> float:
        """Seconds every filter adds besides its ear's extra path: the latency headroom and the head's onset."""
        return self.config.latency / self.config.sample_rate + self.config.onset_ms * 1e-3

    def forward(self, mono: torch.Tensor, positions: torch.Tensor, length: int) -> torch.Tensor:
        """Binaural (batch, 2, length) from mono (batch, n) that has reached the head centre and positions
        (batch, P, 3) m, P = 1 (static: one convolution) or one per frame (`frame_times(n)`: Hann frames with
        50 % overlap, each through the filters of its position); output sample k is at input time k."""
        c = self.config
        batch, n = mono.shape
        if positions.shape[-2] == 1:
            size = 1 << math.ceil(math.log2(n + c.taps))
            out = torch.fft.irfft(torch.fft.rfft(mono, size)[:, None] * torch.fft.rfft(self.filters(positions[:, 0]), size), size)
            return F.pad(out[..., c.latency : c.latency + length], (0, max(c.latency + length - size, 0)))
        count = frame_count(n, c)
        padded = F.pad(mono, (c.hop, count * c.hop + c.hop - n))
        frames = padded.unfold(-1, c.frame, c.hop)[:, :count] * self.window
        spectra = torch.fft.rfft(frames, c.fft_size)
        response = torch.fft.rfft(self.path_filters(positions), c.fft_size)
        blocks = torch.fft.irfft(spectra[:, :, None] * response, c.fft_size)
        total = (count - 1) * c.hop + c.fft_size
        out = F.fold(blocks.permute(0, 2, 3, 1).reshape(batch, 2 * c.fft_size, count), (1, total),
                     kernel_size=(1, c.fft_size), stride=(1, c.hop))[:, :, 0]
        start = c.hop + c.latency
        return F.pad(out[..., start : start + length], (0, max(start + length - total, 0)))


def key_frames(positions: torch.Tensor) -> torch.Tensor:
    """Frame indices at which a moving source's learned responses are computed, for positions (batch, P, 3):
    the first, the last, and every frame KEY_STRIDE frames or KEY_DEGREES of direction from the key before it."""
    direction = F.normalize(positions, dim=-1).detach().cpu().numpy()
    limit = math.cos(math.radians(KEY_DEGREES))
    keys = [0]
    for k in range(1, direction.shape[1]):
        if k - keys[-1] >= KEY_STRIDE or k == direction.shape[1] - 1 or (direction[:, k] * direction[:, keys[-1]]).sum(-1).min() < limit:
            keys.append(k)
    return torch.tensor(keys)


def _band_interpolation(bands: int, bins: int, sample_rate: int) -> torch.Tensor:
    """(bands, bins) linear interpolation from values at `bands` frequencies, equal steps of mel from 0 Hz to
    half the rate, to `bins` equally spaced DFT bins over the same range."""
    top = 2595.0 * math.log10(1.0 + sample_rate / 2 / 700.0)
    hz = 700.0 * (10.0 ** (torch.linspace(0.0, top, bands, dtype=torch.float64) / 2595.0) - 1.0)
    return _interpolation_matrix(bands, bins, (hz / (sample_rate / 2) * (bins - 1)).float()).T.contiguous()


def _tukey(length: int, fade_in: int, fade_out: int) -> torch.Tensor:
    """A window of `length` samples: raised-cosine rise over `fade_in`, flat, raised-cosine fall over `fade_out`."""
    window = torch.ones(length)
    window[:fade_in] = 0.5 - 0.5 * torch.cos(math.pi * (torch.arange(fade_in) + 0.5) / fade_in)
    window[length - fade_out :] = 0.5 + 0.5 * torch.cos(math.pi * (torch.arange(fade_out) + 0.5) / fade_out)
    return window


def sphere_path(source: torch.Tensor, radius: float) -> torch.Tensor:
    """Shortest path length (m) from `source` (..., 3) to the ear at (0, radius, 0) on a rigid sphere:
    straight where the ear is in view, else the tangent line plus the arc along the surface (Woodworth)."""
    r = source.norm(dim=-1).clamp_min(1e-6)
    straight = (source - torch.tensor([0.0, radius, 0.0], device=source.device)).norm(dim=-1)
    angle = torch.acos((source[..., 1] / r).clamp(-1.0, 1.0))
    tangent = torch.acos((radius / r).clamp(max=1.0))
    around = torch.sqrt((r**2 - radius**2).clamp_min(0.0)) + radius * (angle - tangent)
    return torch.where((angle <= tangent) | (r <= radius), straight, around)


def _interpolation_matrix(keys: int, count: int, at: torch.Tensor) -> torch.Tensor:
    """(count, keys) linear interpolation from values at the increasing positions `at` (from 0 to count - 1)
    on a grid of `count` to every grid index."""
    grid = torch.arange(count, dtype=torch.float32)
    low = (torch.searchsorted(at, grid, right=True) - 1).clamp(0, keys - 2)
    fraction = ((grid - at[low]) / (at[low + 1] - at[low])).clamp(0.0, 1.0)
    matrix = torch.zeros(count, keys)
    matrix[torch.arange(count), low] = 1 - fraction
    matrix[torch.arange(count), low + 1] = fraction
    return matrix


def frame_count(n: int, config: NfsConfig) -> int:
    """Frames covering n input samples (the first starts half a frame before sample 0)."""
    return -(-(n + config.hop) // config.hop)


def frame_times(n: int, config: NfsConfig) -> np.ndarray:
    """Centre time (s, input clock) of each frame for n input samples."""
    return np.arange(frame_count(n, config)) * config.hop / config.sample_rate


def path_positions(path: SourcePath, n: int, config: NfsConfig) -> np.ndarray:
    """(P, 3) float32 positions (m): one for a static path, else where the source was when the sound heard
    at each frame centre left it (n samples that have reached the head centre)."""
    if not path.moves:
        return to_cartesian(path.azimuth, path.elevation, path.distance).astype(np.float32)
    azimuth, elevation, distance = path.at(np.clip(emission_times(path, frame_times(n, config)), 0.0, None))
    return to_cartesian(azimuth, elevation, distance).astype(np.float32)


def save_checkpoint(model: NeuralFourierShift, path: str | Path, extra: dict | None = None, half: bool = False) -> None:
    """Config and weights (float16 when `half`) in one torch file, with `extra` entries (e.g. training state)."""
    state = {k: v.half() if half and v.is_floating_point() else v for k, v in model.state_dict().items()}
    torch.save({"config": asdict(model.config), "state": state, **(extra or {})}, str(path))


def read_checkpoint(path: str | Path) -> dict:
    """The raw contents of a checkpoint file; RendererError with a one-line reason when missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise RendererError(f"NFS checkpoint {path} not found; train one with `cascade train-nfs` or pass checkpoint=PATH")
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a truncated or foreign file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RendererError(f"NFS checkpoint {path.name} is unreadable ({reason}); retrain with `cascade train-nfs`") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or not isinstance(data.get("state"), dict):
        raise RendererError(f"NFS checkpoint {path.name} holds no config and weights; retrain with `cascade train-nfs`")
    return data


def load_checkpoint(path: str | Path) -> NeuralFourierShift:
    """The model in `path` (float32); RendererError with a one-line reason when missing, unreadable or older."""
    data = read_checkpoint(path)
    model = NeuralFourierShift(NfsConfig.from_dict(data["config"]))
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in data["state"].items()})
    except RuntimeError as error:
        raise RendererError(f"NFS checkpoint {Path(path).name} does not match its config ({str(error).splitlines()[0]})") from None
    return model.eval()


class NfsRenderer(Renderer):
    """Binaural rendering with a trained Neural Fourier Shift network (the shipped checkpoint by default).

    Works at the network's rate (44.1 kHz in the shipped model): a source at another rate is resampled
    once on the way in and once on the way out, together with its room images.
    """

    name = "nfs"

    def __init__(self, checkpoint: str | Path | None = None, device: str | None = None) -> None:
        self.device = torch_device(device, RendererError)
        self.model = load_checkpoint(DEFAULT_CHECKPOINT if checkpoint is None else checkpoint).to(self.device)
        self.config = self.model.config
        self.reference_distance = self.config.reference_distance

    def render(self, mono: np.ndarray, sample_rate: int, path: SourcePath) -> np.ndarray:
        """(2, n) float32, n = len(mono) + max propagation delay + the filter length (samples at `sample_rate`)."""
        return self.render_many(mono, sample_rate, [(path, 1.0)])

    def render_many(self, mono: np.ndarray, sample_rate: int, sources: list[tuple[SourcePath, float]]) -> np.ndarray:
        """(2, n) float32 sum over (path, gain), resampled to the network's rate and back once for all of them."""
        return render_sources(self.model, mono, sample_rate, sources)


def render_sources(model: NeuralFourierShift, mono: np.ndarray, sample_rate: int,
                   sources: list[tuple[SourcePath, float]]) -> np.ndarray:
    """(2, n) float32: `mono` propagated along each (path, amplitude gain) and rendered by `model`, summed;
    n = len(mono) + the longest propagation delay + the filter length, in samples at `sample_rate`."""
    c = model.config
    device = model.bin_hz.device
    mono = np.asarray(mono, dtype=np.float32).reshape(-1)
    inner = resample(mono, sample_rate, c.sample_rate)
    farthest = max((path for path, _ in sources), key=lambda path: float(path.distance.max()))
    length = propagated_length(inner.size, farthest, c.sample_rate) + c.taps
    out = torch.zeros(2, length, device=device)
    with torch.inference_mode():
        for path, gain in sources:
            arrived = propagate(inner, c.sample_rate, path, c.reference_distance)
            positions = torch.from_numpy(path_positions(path, arrived.size, c))[None].to(device)
            out += gain * model(torch.from_numpy(arrived)[None].to(device), positions, length)[0]
    size = propagated_length(mono.size, farthest, sample_rate) + math.ceil(c.taps * sample_rate / c.sample_rate)
    out_rate = resample(out.cpu().numpy(), c.sample_rate, sample_rate)
    return np.ascontiguousarray(np.pad(out_rate, ((0, 0), (0, max(size - out_rate.shape[-1], 0))))[:, :size], dtype=np.float32)
