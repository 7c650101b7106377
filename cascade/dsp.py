"""Linear filtering with numpy alone (scipy.signal costs about a second to import, on every start).

`convolve` is FFT overlap-add convolution along the last axis with broadcasting over the others;
`impulse_response` turns a stable IIR filter into the FIR that `convolve` applies.
"""

from __future__ import annotations

import numpy as np

BLOCK_FACTOR = 8  # overlap-add block length, in filter lengths


def _fft_size(n: int) -> int:
    """The smallest 2^a·3^b·5^c at least n (fast sizes for numpy's FFT)."""
    best = 1 << int(np.ceil(np.log2(max(n, 1))))
    five = 1
    while five < best:
        three = five
        while three < best:
            size = three
            while size < n:
                size *= 2
            best = min(best, size)
            three *= 3
        five *= 5
    return best


def convolve(signal: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Full linear convolution along the last axis (length n + m - 1), shapes broadcast over leading axes;
    float32 when both inputs are float32, else float64."""
    signal, kernel = np.asarray(signal), np.asarray(kernel)
    dtype = np.float32 if signal.dtype == np.float32 and kernel.dtype == np.float32 else np.float64
    n, m = signal.shape[-1], kernel.shape[-1]
    out_length = n + m - 1
    lead = np.broadcast_shapes(signal.shape[:-1], kernel.shape[:-1])
    if min(n, m) <= 32:
        small, large = (signal, kernel) if n <= m else (kernel, signal)
        out = np.zeros((*lead, out_length), dtype=np.float64)
        for k in range(small.shape[-1]):
            out[..., k : k + large.shape[-1]] += small[..., k : k + 1] * large
        return out.astype(dtype)
    if n < m:
        signal, kernel, n, m = kernel, signal, m, n
    block = max(BLOCK_FACTOR * m, 1024)
    if block >= n:
        size = _fft_size(out_length)
        spectrum = np.fft.rfft(signal, size) * np.fft.rfft(kernel, size)
        return np.fft.irfft(spectrum, size)[..., :out_length].astype(dtype)
    size = _fft_size(block + m - 1)
    block = size - m + 1
    count = -(-n // block)
    padded = np.zeros((*signal.shape[:-1], count * block), dtype=signal.dtype)
    padded[..., :n] = signal
    blocks = padded.reshape(*signal.shape[:-1], count, block)
    spectra = np.fft.rfft(blocks, size) * np.fft.rfft(kernel, size)[..., None, :]
    pieces = np.fft.irfft(spectra, size)
    out = np.zeros((*lead, (count - 1) * block + size), dtype=np.float64)
    for index in range(count):
        out[..., index * block : index * block + size] += pieces[..., index, :]
    return out[..., :out_length].astype(dtype)


def impulse_response(b: np.ndarray, a: np.ndarray, length: int) -> np.ndarray:
    """The first `length` samples (float64) of the stable IIR filter b/a's impulse response, by sampling its
    frequency response densely enough (8x) that time aliasing is below float precision for any filter whose
    response has decayed within `length` samples."""
    size = _fft_size(8 * length)
    z = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)
    response = np.polyval(np.asarray(b, dtype=np.float64)[::-1], z) / np.polyval(np.asarray(a, dtype=np.float64)[::-1], z)
    return np.fft.irfft(response, size)[:length]
