"""Isolation: a source that hangs, crashes the interpreter or exhausts memory is one error line; the rest finish."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shapelint.engine.run import Options
from shapelint.engine.runner import Schedule, run_sources

GOOD = """
def build():
    import keras
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(4, 3, strides=2)(inputs))
"""
HANG = """
import subprocess
import time
from pathlib import Path

def build():
    child = subprocess.Popen(["sleep", "3600"])  # must not outlive the worker
    Path(__file__).with_suffix(".started").write_text(str(child.pid))
    time.sleep(3600)
"""
ABORT = "import os\n\ndef build():\n    os.abort()\n"
SEGFAULT = "import ctypes\n\ndef build():\n    ctypes.string_at(0)\n"
GREEDY = """
def build():
    hoard = bytearray(4 << 30)  # 4 GiB of address space: fine uncapped, refused under a 3 GiB cap
    import keras
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))
"""
RUDE = """
import sys

def build():
    sys.stdin.read()  # the worker's task pipe must not be what it reads
    print("{not json")  # nor where this goes
    import keras
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(4, 3, strides=2)(inputs))
"""
OPTIONS = Options(sizes=((32, 32), (48, 48)))


def test_hang_crash_and_memory_are_errors_next_to_a_good_source(tmp_path, factory_file):
    sources = [factory_file(code, filename=f"{name}.py") for name, code in
               [("good", GOOD), ("hang", HANG), ("abort", ABORT), ("segfault", SEGFAULT), ("greedy", GREEDY),
                ("rude", RUDE)]]
    # the hang's 10 s overlap the other worker's three TensorFlow imports (crashed workers are replaced)
    schedule = Schedule(jobs=2, timeout=10, memory_limit_gib=3, cache=False)
    results = run_sources("shapelint.engine.run:probe_source", sources, OPTIONS, schedule).results
    good, hang, abort, segfault, greedy, rude = results
    errors = "\n".join(str(r.error) for r in results)

    assert good.error is None and good.backbone.records[0].outputs == {"output": (1, 15, 15, 4)}, errors
    assert rude.error is None and rude.backbone.records == good.backbone.records, errors
    assert hang.error == f"{sources[1]}: timed out after 10 s", errors
    assert abort.error.startswith(f"{sources[2]}: worker crashed (SIGABRT"), errors
    assert segfault.error.startswith(f"{sources[3]}: worker crashed (SIGSEGV"), errors
    assert "MemoryError" in greedy.error and greedy.backbone is None, errors
    assert [r.source for r in results] == sources
    assert all("\n" not in r.error for r in (hang, abort, segfault, greedy))
    assert not alive(int((tmp_path / "hang.started").read_text()))


def stat(pid) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, pgrp, ...]; None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def processes():
    """(pid, stat) of every process in /proc, zombies included."""
    for entry in Path("/proc").iterdir():
        fields = stat(entry.name) if entry.name.isdigit() else None
        if fields:
            yield int(entry.name), fields


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (dead, not yet reaped by init) does not count."""
    fields = stat(pid)
    return fields is not None and fields[0] != "Z"


def group_members(pgid: int) -> list[int]:
    return [pid for pid, fields in processes() if int(fields[2]) == pgid and fields[0] != "Z"]


def children(pid: int) -> list[int]:
    return [child for child, fields in processes() if int(fields[1]) == pid]


@pytest.mark.parametrize("interrupt", [
    lambda pid: os.killpg(pid, signal.SIGINT),  # what a terminal does on Ctrl-C
    lambda pid: os.kill(pid, signal.SIGTERM),  # what a CI runner does when a job is cancelled
], ids=["ctrl-c", "sigterm"])
def test_interrupt_stops_every_worker_and_keeps_finished_results(tmp_path, factory_file, interrupt):
    sources = [factory_file(GOOD, filename="good.py")] + [factory_file(HANG, filename=f"hang{i}.py") for i in range(2)]
    cli = subprocess.Popen([sys.executable, "-m", "shapelint", "probe", *sources, "--jobs", "2", "--sizes", "32"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                           env={**os.environ, "SHAPELINT_CACHE_DIR": str(tmp_path / "cache")})
    deadline = time.monotonic() + 180
    while len(list(tmp_path.glob("*.started"))) < 2:  # the good source is done, both workers hang
        assert cli.poll() is None and time.monotonic() < deadline, cli.stderr.read() if cli.poll() is not None else "no start"
        time.sleep(0.2)
    workers = children(cli.pid)
    grandchildren = [int(marker.read_text()) for marker in tmp_path.glob("*.started")]
    assert len(workers) == 2 and all(alive(pid) for pid in grandchildren)

    interrupt(cli.pid)
    _, err = cli.communicate(timeout=60)

    assert cli.returncode == 130
    assert err.splitlines() == ["shapelint: interrupted; every worker stopped"]
    # each worker leads its own process group, so what a model started dies with it
    assert group_members(cli.pid) == [] and all(group_members(pid) == [] for pid in workers)
    assert not any(alive(pid) for pid in grandchildren)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1  # cached when it finished, not at the end


def test_progress_on_a_terminal_only(factory_file):
    source = factory_file(GOOD, filename="good.py")
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "shapelint", "probe", source, "--sizes", "32", "--no-cache"]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=follower, check=True, timeout=180)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert b"shapelint: 0/1 done; running /" in shown and b"shapelint: 1/1 done" in shown
    assert shown.endswith(b"\r\x1b[K")  # the line is cleared before the report

    quiet = subprocess.run([*command, "--quiet"], capture_output=True, timeout=180, check=True)
    assert quiet.stderr == b""


DENSE_ON_MAP = """
def build():
    import keras
    inputs = keras.Input((32, 32, 3))
    return keras.Model(inputs, keras.layers.Dense(5)(keras.layers.Conv2D(4, 3)(inputs)))
"""


def test_sources_sharing_a_worker_do_not_see_each_other(factory_file):
    """Keras numbers unnamed layers per session: the second model must not get 'dense_1' from the first."""
    sources = [factory_file(DENSE_ON_MAP, filename=f"{name}.py") for name in ("first", "second")]
    report = run_sources("shapelint.engine.check:check_source", sources, OPTIONS, Schedule(jobs=1, cache=False))
    layers = [[f.layer for f in result.findings if f.layer] for result in report.results]
    assert layers[0] and layers[0] == layers[1], layers


def test_cli_run_options_default_to_the_runners_defaults():
    """The CLI spells the defaults out so --help does not import the scheduler; they must stay the runner's."""
    from shapelint.cli.probe import probe
    from shapelint.engine.runner import DEFAULT_MEMORY_LIMIT_GIB, DEFAULT_TIMEOUT

    defaults = {param.name: param.default for param in probe.params}
    assert defaults["timeout"] == DEFAULT_TIMEOUT and defaults["memory_limit"] == DEFAULT_MEMORY_LIMIT_GIB
