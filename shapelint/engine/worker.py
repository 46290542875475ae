"""A worker process (started by pool.py): import one framework once, then run one source at a time.

A worker serves one framework (settings["framework"]: "tensorflow" or "torch") and imports only that
one: TensorFlow and then torchvision in one process crashes it, so the pool never mixes them.

Before it imports anything of a framework, a worker confines itself (sandbox.py, unless the run says
--no-sandbox): from then on it reads only the sources of the run and Python, writes only the temporary
folder the pool made for it, and connects nowhere.

Protocol, one line per message: the parent writes base64 pickles (its own trusted objects) to stdin:
first the settings, then (task, source, options) tuples. The worker answers on the stdout it was
started with, as JSON: {"ready": true} once its framework is imported, then {"result": <SourceReport JSON>}
per source. File descriptors 0 and 1 themselves are then pointed at /dev/null, so a model that prints
or reads stdin cannot corrupt answers or swallow tasks.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import pickle
import signal
import sys


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker stops
    tasks = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    settings = _read(tasks)
    if settings is None or not _die_with_parent(settings["parent"]):
        return
    sys.path[:] = settings["sys_path"]  # resolve module:factory sources exactly as the parent would
    if settings["memory_limit"]:
        _cap_memory(settings["memory_limit"])
    unconfined = _confine(settings) if settings.get("sandbox", True) else None
    from shapelint.adapters import adapter
    from shapelint.errors import one_line

    runtime = adapter(settings["framework"], "runtime")
    runtime.start()
    _send(answers, {"ready": True, "unconfined": unconfined})
    while True:
        message = _read(tasks)
        if message is None:
            return  # the parent closed our stdin: no more work
        task, text, options = message
        try:
            runtime.clear_session()
            result = with_imports(text, resolve(task)(text, options).to_json())
        except BaseException as exc:  # SystemExit from a factory included: report it, keep serving
            result = failed(text, one_line(exc))
        _send(answers, {"result": result})


def _confine(settings: dict) -> str | None:
    """Before any framework is imported: a private temporary folder (the only place this worker may write),
    private homes for every framework's configuration and caches, then the kernel's confinement (sandbox.py).
    Returns the one line saying why the kernel could not confine, or None."""
    import tempfile

    from shapelint.engine.sandbox import confine

    folder = settings["temp"]
    os.environ["TMPDIR"] = tempfile.tempdir = folder
    # HOME and the hub caches stay: resolving a source (~/, hf:ORG/NAME, kaggle://) reads them, and a load
    # replaces them with empty private ones (adapters/private.py)
    for name in ("KERAS_HOME", "TORCH_HOME", "MPLCONFIGDIR", "TRITON_CACHE_DIR"):
        os.environ[name] = os.path.join(folder, name.lower())
    return confine(settings.get("read", []), [folder, *settings.get("write", [])])


def _read(tasks):
    line = tasks.readline()
    return pickle.loads(base64.b64decode(line)) if line.strip() else None


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def resolve(task: str):
    """"shapelint.engine.run:probe_source" -> the function (runner.py's jobs=0 path resolves tasks the same way)."""
    module, _, name = task.partition(":")
    return getattr(importlib.import_module(module), name)


def with_imports(text: str, result: dict) -> dict:
    """A factory's result with the project files it imported, so that its cache entry follows them too."""
    from shapelint.engine.cache import IMPORTS, project_imports
    from shapelint.sources import SourceError, parse_source

    try:
        factory = parse_source(text).kind == "factory"
    except SourceError:
        factory = False
    return dict(result, **{IMPORTS: project_imports()}) if factory and not result.get("error") else result


def failed(text: str, why: str) -> dict:
    """The SourceReport JSON of a source that produced no result: the worker's or the parent's one line."""
    return {"source": text, "error": f"{text}: {why}"}


def _cap_memory(limit: int) -> None:
    """Address space, soft and hard: past it allocations fail in this worker, and it cannot lift the cap."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not enforceable here (no rlimits, or a platform that refuses RLIMIT_AS); the timeout still is


def _die_with_parent(parent: int) -> bool:
    """Linux: the kernel kills this worker if the parent dies without cleaning up; False if it already has."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    return os.getppid() == parent


if __name__ == "__main__":
    main()
