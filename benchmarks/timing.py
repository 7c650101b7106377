"""Wall-clock timing shared by the speed benchmarks."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of `repeats` calls of `work`, after one untimed warm-up call."""
    work()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)
