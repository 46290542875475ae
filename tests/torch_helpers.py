"""Shared by the tests/test_torch_*.py files: run shapelint the way a user does, in its own processes.

The CLI's parent process imports no framework and its workers import only the one their source needs,
so these tests never put TensorFlow and torchvision/timm in one process, whichever pytest worker runs them.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from shapelint.cli import main


def run_cli(*args) -> tuple[int, dict, str]:
    """(exit code, the JSON document, stderr) of one shapelint command with --format json."""
    result = CliRunner().invoke(main, [*args, "--format", "json", "--no-cache", "--jobs", "1"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def by_source(doc: dict) -> dict:
    return {item["source"]: item for item in doc["results"]}
