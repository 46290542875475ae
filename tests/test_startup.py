"""Start-up stays light: the CLI's cheap commands, the pytest plugin and the scheduler import no framework.

Timing is left to benchmarks/startup.py; these tests check what is imported, which is what decides it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "tf_keras", "tensorflow_hub", "numpy")


def imported(args: list[str], **kwargs) -> set[str]:
    """Top-level packages a fresh interpreter imported while running args, from -X importtime."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          timeout=120, **kwargs)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1] for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.strip().split(".")[0] for line in lines} | {line.strip() for line in lines}


@pytest.mark.parametrize("command", [["--help"], ["probe", "--help"], ["check", "--help"], ["inspect", "--help"],
                                     ["rules"], ["explain", "SL101"], ["--version"]])
def test_cli_commands_import_no_framework(command):
    modules = imported(["-m", "shapelint", *command])
    assert "shapelint.cli" in modules
    assert not modules & set(HEAVY)


def test_reading_the_config_imports_no_framework(tmp_path):
    """Every command first lays [tool.shapelint] under itself; checking select/ignore reads the rule registry."""
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nselect = ["SL1"]\nignore = ["SL103"]\nsizes = [96]\n')
    modules = imported(["-m", "shapelint", "rules"], cwd=tmp_path)
    assert "shapelint.config" in modules and "shapelint.rules.registry" in modules
    assert not modules & set(HEAVY)


def test_scheduler_imports_no_framework():
    engine = "shapelint.engine"
    modules = imported(["-c", f"import {engine}.run, {engine}.runner, {engine}.pool, {engine}.cache"])
    assert "shapelint.engine.pool" in modules
    assert not modules & set(HEAVY)


PLUGIN_CHECK = """
import sys

def test_plugin_is_loaded_and_light():
    assert "shapelint.pytest_plugin" in sys.modules
    assert [name for name in {heavy} if name in sys.modules] == []
"""


def test_pytest_plugin_loads_without_framework(tmp_path):
    # numpy is left out here: other installed plugins may import it; the framework must not be imported
    (tmp_path / "test_plugin_light.py").write_text(PLUGIN_CHECK.format(heavy=HEAVY[:4]))
    # Load exactly this plugin, by name: whether an entry point is visible depends on which metadata
    # (an installed dist-info or a stale in-tree egg-info) the interpreter finds first.
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "shapelint.pytest_plugin",
                           str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-2000:]
