"""Wall-clock timing and the machine description shared by the speed benchmarks."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of `repeats` calls of `work`, after one untimed warm-up call."""
    work()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def machine() -> str:
    """Processor, core count and Python version, as the README quotes them beside each figure."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
