"""Schedule many sources: parse them, answer what the cache knows, run the rest in worker processes.

Any per-source function `fn(text, options) -> SourceReport` can be scheduled by its "module:function"
name (probe: "shapelint.engine.run:probe_source", check: "shapelint.engine.check:check_source"):

    report = run_sources("shapelint.engine.run:probe_source", sources, options, Schedule(jobs=2))

Isolation is the default, also for one job: a model that crashes the interpreter must not take the
command with it, and only a separate process can be stopped when it hangs. The parent never imports
a framework, so a worker costs one interpreter start (~0.1 s) on top of the framework import the
command would pay anyway; each worker imports only the framework of the sources it runs. jobs=0 runs
in this process instead (no timeout, no memory cap): for debugging, profiling, and callers that
already imported a framework.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
import threading
from dataclasses import dataclass

from ..adapters import missing
from ..report import Report, SourceReport
from ..sources import SourceError, parse_source
from .cache import Cache, cache_key
from .pool import Job, Pool, cpu_cores
from .sandbox import source_reads, source_writes
from .worker import resolve, with_imports

GIB = 1 << 30
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_LIMIT_GIB = 8.0  # address space per worker; TensorFlow alone maps ~1.5 GiB
MEMORY_PER_WORKER_GIB = 3  # what a large backbone needs while probing, to size the default pool


@dataclass(frozen=True)
class Schedule:
    """How sources are run; none of this changes a result, so none of it is part of the cache key."""

    jobs: int | None = None  # None: default_jobs(); 0: in this process
    timeout: float = DEFAULT_TIMEOUT  # seconds per source, after the worker's framework import
    memory_limit_gib: float | None = DEFAULT_MEMORY_LIMIT_GIB  # per worker; None or 0: no cap
    cache: bool = True
    refresh: bool = False  # run every source and overwrite its cache entry (--no-cache)
    progress: bool = False
    sandbox: bool = True  # workers confined by the kernel (sandbox.py); off only by --no-sandbox


_SCHEDULE: contextvars.ContextVar[Schedule] = contextvars.ContextVar("shapelint_schedule", default=Schedule())


@contextlib.contextmanager
def scheduled(schedule: Schedule):
    """The Schedule run_sources uses when none is passed (the CLI sets it once for a whole command)."""
    token = _SCHEDULE.set(schedule)
    try:
        yield schedule
    finally:
        _SCHEDULE.reset(token)


def default_jobs() -> int:
    """One worker per core, capped by available memory."""
    cores = cpu_cores()
    available = _available_gib()
    by_memory = int(available // MEMORY_PER_WORKER_GIB) if available is not None else cores
    return max(1, min(cores, by_memory))


def _available_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / GIB
    except (ValueError, OSError, AttributeError):
        return None


def run_sources(task: str, sources, options, schedule: Schedule | None = None) -> Report:
    """Each source's SourceReport, in the order given; one bad source never stops the others."""
    schedule = schedule or _SCHEDULE.get()
    sources = list(sources)
    results: dict[int, SourceReport] = {}
    keys: dict[int, str] = {}
    cache = Cache() if schedule.cache else None
    jobs = []
    for index, text in enumerate(sources):
        try:
            source = parse_source(text)
        except SourceError as exc:
            results[index] = SourceReport(text, error=str(exc))
            continue
        absent = missing(source)
        if absent:
            results[index] = SourceReport(text, error=absent)
            continue
        key = cache_key(task, source, options) if cache else None
        hit = cache.get(key) if key and not schedule.refresh else None
        if hit is not None:
            results[index] = SourceReport.from_json(hit)
        else:
            keys[index] = key
            jobs.append(Job(index, task, text, source.framework, tuple(source_reads(source)),
                            tuple(source_writes(source))))
    progress = Progress(len(sources), len(results)) if schedule.progress and jobs else None

    def on_event(kind: str, job: Job, data: dict | None = None) -> None:
        if data is not None:
            results[job.index] = SourceReport.from_json(data)
            if keys.get(job.index) and not results[job.index].error:  # errors may be the machine's: retry
                cache.put(keys[job.index], data)  # at once, so an interrupted run keeps what it finished
        if progress:
            progress.event(kind, job)

    try:
        _execute(jobs, options, schedule, on_event)
    finally:
        if progress:
            progress.close()
    return Report(tuple(results[i] for i in range(len(sources))))


def _execute(jobs: list[Job], options, schedule: Schedule, on_event) -> None:
    if not jobs:
        return
    if schedule.jobs == 0:
        return _in_process(jobs, options, on_event)
    size = min(schedule.jobs or default_jobs(), len(jobs))
    memory = int(schedule.memory_limit_gib * GIB) if schedule.memory_limit_gib else None
    with _sigterm_as_interrupt():
        Pool(size, schedule.timeout, memory, on_event, sandbox=schedule.sandbox).run(jobs, options)


def _in_process(jobs: list[Job], options, on_event) -> None:
    for job in jobs:
        on_event("start", job)
        on_event("done", job, with_imports(job.text, resolve(job.task)(job.text, options).to_json()))


class _sigterm_as_interrupt:
    """SIGTERM (a cancelled CI job) cleans up like Ctrl-C: workers are killed, not orphaned."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_interrupt)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


class Progress:
    """One self-rewriting line on stderr: done/total and what is running."""

    def __init__(self, total: int, done: int):
        self.total, self.done = total, done
        self.running: dict[int, str] = {}
        self.stream = sys.stderr
        self._write(f"shapelint: {done}/{total} done; starting workers")

    def event(self, kind: str, job: Job) -> None:
        if kind == "start":
            self.running[job.index] = job.text
        else:
            self.running.pop(job.index, None)
            self.done += 1
        names = ", ".join(self.running.values())
        self._write(f"shapelint: {self.done}/{self.total} done" + (f"; running {names}" if names else ""))

    def _write(self, line: str) -> None:
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns - 1
        except (OSError, ValueError):
            width = 0
        width = width if width > 0 else 100  # a terminal that does not know its size says 0
        self.stream.write("\r\x1b[K" + line[:width])
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()
