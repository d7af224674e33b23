"""Timing shared by the benchmarks: best of several calls, wall and CPU."""

from __future__ import annotations

import time


def timed(function, *args, repeat: int = 1) -> tuple[float, float, object]:
    """Best wall and best CPU seconds of `repeat` calls, and the last result."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        result = function(*args)
        wall = min(wall, time.perf_counter() - start_wall)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result
