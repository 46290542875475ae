"""Shared by the benchmark scripts: run a command in its own process tree, report wall time and peak memory."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def shapelint_command() -> list[str]:
    """The installed console script next to this interpreter, as a user would run it."""
    script = Path(sys.executable).with_name("shapelint")
    return [str(script)] if script.exists() else [shutil.which("shapelint") or "shapelint"]


def measure(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB of the largest process in the tree), output discarded.

    CPU time (user + system, every thread and waited-for descendant) is steadier than wall time on a
    shared machine; TensorFlow's kernels use several threads, so it can exceed wall time.

    wait4 reports the child's rusage including every descendant it waited for, so a shapelint
    worker's memory is counted; the maximum is per process, not a sum (shapelint's parent is ~40 MiB).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def interleaved(commands: dict[str, tuple[list[str], dict | None]], repeat: int) -> dict[str, list[tuple]]:
    """Run every command `repeat` times, alternating, so load on the machine hits all of them alike."""
    runs = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, env) in commands.items():
            runs[name].append(measure(command, env))
            wall, cpu, peak = runs[name][-1]
            print(f"  {name}: {wall:.2f} s, {cpu:.2f} s CPU, {peak:.0f} MiB", file=sys.stderr)
    return runs


def median(values) -> float:
    return statistics.median(values)


def ratio_report(title: str, runs: dict[str, list[tuple]], measured: str, target: float) -> str:
    """The table of every command against the first (the baseline), then `measured`'s wall ratio
    against `target`, as the cost benchmarks print them."""
    from tabulate import tabulate

    base = next(iter(runs.values()))
    wall, cpu = median(r[0] for r in base), median(r[1] for r in base)
    rows = [[name, f"{median(r[0] for r in s):.1f}", f"{median(r[0] for r in s) / wall:.2f}×",
             f"{median(r[1] for r in s):.1f}", f"{median(r[1] for r in s) / cpu:.2f}×", f"{median(r[2] for r in s):.0f}"]
            for name, s in runs.items()]
    ratio = median(r[0] for r in runs[measured]) / wall
    verdict = "met" if ratio <= target else "MISSED"
    return "\n".join([
        title,
        tabulate(rows, headers=["command", "wall s", "wall ratio", "CPU s", "CPU ratio", "peak RSS MiB"], tablefmt="github"),
        f"\nshapelint / hand-written loop = {ratio:.2f}× wall time (target ≤ {target}×): {verdict}",
    ])
