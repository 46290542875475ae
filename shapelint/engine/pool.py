"""Worker processes, one source at a time each, with a per-source timeout.

A worker that hangs, crashes the interpreter or runs out of memory costs only the source it was
running: that source gets a one-line error, the worker is replaced, the other sources go on.
Workers are fresh interpreters (subprocess, never fork after TensorFlow), each imports one framework
once (the one its sources need: TensorFlow, or PyTorch) and then serves source after source of that
framework. Whatever happens, every worker is killed and reaped on the way out.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from .worker import failed

STARTUP_TIMEOUT = 300.0  # importing a framework on a busy machine; the per-source clock starts after it
STARTUP_ATTEMPTS = 2  # workers of one framework that die before they are ready, before its sources are failed
MAX_ANSWER_BYTES = 256 << 20  # one result line; a worker that sends more without a newline is not trusted


@dataclass
class Job:
    index: int
    task: str  # "module:function" taking (source text, options) and returning a SourceReport
    text: str
    framework: str = "tensorflow"  # which kind of worker may run it (sources.Source.framework)
    reads: tuple = ()  # the files and folders the source needs: all a confined worker may read of the host
    writes: tuple = ()  # where a factory (the user's own code) may write; a model file: nowhere


class Worker:
    def __init__(self, settings: dict, env: dict, framework: str):
        self.framework = framework
        self.stderr = tempfile.TemporaryFile()
        self.temp = tempfile.mkdtemp(prefix="shapelint-worker-")  # its own, the only folder it may write
        # its own process group, so killing it also kills whatever a model's code started
        self.proc = subprocess.Popen([sys.executable, "-m", "shapelint.engine.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, env=env, start_new_session=True)
        self.fd = self.proc.stdout.fileno()
        self.buffer = b""
        self.job: Job | None = None
        self.ready = False
        self.garbled = False
        self.since = time.monotonic()
        self.send(dict(settings, framework=framework, temp=self.temp))

    def send(self, message) -> bool:
        try:
            self.proc.stdin.write(base64.b64encode(pickle.dumps(message)) + b"\n")
            self.proc.stdin.flush()
            return True
        except OSError:  # it died; the selector reports the end of its output
            return False

    def start(self, job: Job, options) -> None:
        self.job, self.since = job, time.monotonic()
        self.send((job.task, job.text, options))

    def receive(self) -> list[dict] | None:
        """Complete messages read so far; None once the worker's output has ended or cannot be read."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            return None
        self.buffer += data
        if len(self.buffer) > MAX_ANSWER_BYTES and b"\n" not in data:  # the parent's memory is not the model's
            self.garbled = True
            return None
        *lines, self.buffer = self.buffer.split(b"\n")
        try:
            return [json.loads(line) for line in lines if line.strip()]
        except ValueError:  # something in the worker wrote to the answer pipe: it can no longer be trusted
            self.garbled = True
            return None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone already
        self.proc.wait()
        shutil.rmtree(self.temp, ignore_errors=True)
        for stream in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                stream.close()
            except OSError:
                pass

    def deadline(self, timeout: float) -> float | None:
        """When its source (or, before it is ready, its start-up) runs out of time; None while it waits idle."""
        if self.job:
            return self.since + timeout
        return None if self.ready else self.since + STARTUP_TIMEOUT

    def death(self) -> str:
        """Why the worker ended, in a few words, with the last line it wrote to stderr if any."""
        if self.garbled:
            return "worker sent an unreadable answer"
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # it closed its answer pipe but lives on
            return "worker stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            why = f"worker crashed ({name}{', out of memory?' if name == 'SIGKILL' else ''})"
        else:
            why = f"worker exited with code {code}"
        self.stderr.seek(0)
        lines = [line.strip() for line in self.stderr.read()[-4000:].decode(errors="replace").splitlines()]
        last = next((line for line in reversed(lines) if line), "")
        return f"{why}: {last[:200]}" if last else why


class Pool:
    def __init__(self, size: int, timeout: float, memory_limit: int | None,
                 on_event: Callable[..., None] = lambda kind, job, result=None: None, sandbox: bool = True):
        self.size = max(1, size)
        self.timeout = timeout
        self.settings = {"sys_path": list(sys.path), "memory_limit": memory_limit, "parent": os.getpid(),
                         "sandbox": sandbox, "read": []}
        self.env = worker_env(self.size)
        self.on_event = on_event

    def run(self, jobs: list[Job], options) -> None:
        """Run every job, handing each result to on_event("done", job, SourceReport JSON) as it arrives.

        Every worker is killed and reaped before this returns or raises (KeyboardInterrupt included).
        """
        self.pending = list(jobs)
        self.settings["read"] = sorted({path for job in jobs for path in job.reads})
        self.settings["write"] = sorted({path for job in jobs for path in job.writes})
        self.unconfined_said = False
        self.workers: list[Worker] = []
        self.selector = selectors.DefaultSelector()
        self.startup_failures = Counter()
        try:
            while self.pending or any(w.job for w in self.workers):
                self._staff()
                for worker in self.workers:
                    job = self._next_job(worker.framework) if worker.ready and worker.job is None else None
                    if job:
                        self.on_event("start", job)
                        worker.start(job, options)
                self._wait()
                self._enforce_deadlines()
        finally:
            self._shutdown()

    def _next_job(self, framework: str) -> Job | None:
        job = next((job for job in self.pending if job.framework == framework), None)
        if job:
            self.pending.remove(job)
        return job

    def _staff(self) -> None:
        """Start workers up to the pool size, but no more than there is work for, each of the framework
        with the most sources waiting; retire idle ones whose framework has nothing left to run."""
        pending = Counter(job.framework for job in self.pending)
        for worker in [w for w in self.workers if w.ready and not w.job and not pending[w.framework]]:
            self._remove(worker)
        waiting = pending.copy()  # sources no idle or starting worker will take
        for worker in [w for w in self.workers if not w.job]:
            waiting[worker.framework] -= 1
        while len(self.workers) < self.size and max(waiting.values(), default=0) > 0:
            framework = max(waiting, key=waiting.get)
            waiting[framework] -= 1
            worker = Worker(self.settings, self.env, framework)
            self.workers.append(worker)
            self.selector.register(worker.fd, selectors.EVENT_READ, worker)

    def _wait(self) -> None:
        deadlines = [d for d in (w.deadline(self.timeout) for w in self.workers) if d is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        for key, _ in self.selector.select(timeout):
            worker = key.data
            messages = worker.receive()
            if messages is None:
                self._died(worker)
                continue
            for message in messages:
                if message.get("ready"):
                    worker.ready, worker.since = True, time.monotonic()
                    if message.get("unconfined") and not self.unconfined_said:  # once a run, not once a worker
                        self.unconfined_said = True
                        print(f"shapelint: {message['unconfined']}", file=sys.stderr)
                elif "result" in message and worker.job:
                    self._finish(worker, message["result"])

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self.workers):
            deadline = worker.deadline(self.timeout)
            if deadline is None or now <= deadline:
                continue
            if worker.job:
                self._finish(worker, failed(worker.job.text, f"timed out after {self.timeout:g} s"))
                self._remove(worker)
            else:
                self._remove(worker)
                self._startup_failed(worker.framework, f"worker did not start within {STARTUP_TIMEOUT:g} s")

    def _died(self, worker: Worker) -> None:
        why = worker.death()
        if worker.job:
            self._finish(worker, failed(worker.job.text, why))
        elif not worker.ready:
            self._startup_failed(worker.framework, why)
        self._remove(worker)

    def _startup_failed(self, framework: str, why: str) -> None:
        self.startup_failures[framework] += 1
        if self.startup_failures[framework] >= STARTUP_ATTEMPTS:
            while job := self._next_job(framework):
                self.on_event("done", job, failed(job.text, f"could not start a {framework} worker: {why}"))

    def _finish(self, worker: Worker, result: dict) -> None:
        job, worker.job = worker.job, None
        self.on_event("done", job, result)

    def _remove(self, worker: Worker) -> None:
        self.selector.unregister(worker.fd)
        self.workers.remove(worker)
        worker.kill()

    def _shutdown(self) -> None:
        for worker in list(self.workers):
            self._remove(worker)
        self.selector.close()


def worker_env(size: int) -> dict:
    """Quiet TensorFlow; with several workers, share the cores instead of each sizing its thread pool to all."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if size > 1:
        env.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, cpu_cores() // size)))
        env.setdefault("OMP_NUM_THREADS", str(max(1, cpu_cores() // size)))  # PyTorch's intra-op pool
    return env


def cpu_cores() -> int:
    """Cores this process may run on (CPU affinity, e.g. a container's share), not the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
