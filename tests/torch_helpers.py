"""Shared by the tests/test_torch_*.py files: run shapelint the way a user does, in its own processes.

The CLI's parent process imports no framework and its workers import only the one their source needs,
so these tests never put TensorFlow and torchvision/timm in one process, whichever pytest worker runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from shapelint.cli import main


def run_cli(*args) -> tuple[int, dict, str]:
    """(exit code, the JSON document, stderr) of one shapelint command with --format json."""
    result = CliRunner().invoke(main, [*args, "--format", "json", "--no-cache", "--jobs", "1"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def by_source(doc: dict) -> dict:
    return {item["source"]: item for item in doc["results"]}


SAVE_TINY_CNN = """
import sys, warnings
from pathlib import Path
import torch
folder, size, exported = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
                          torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)).eval()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.jit.save(torch.jit.script(net), folder / "scripted.pt")
    torch.export.save(torch.export.export(net, (torch.zeros(1, 3, size, size),)), folder / exported)
torch.save(net.state_dict(), folder / "weights.pth")
torch.save(net, folder / "full.pt")  # a full-model pickle
"""


def save_tiny_cnn(folder, size: int, exported: str = "exported.pt2") -> None:
    """A tiny CNN saved four ways: scripted.pt (TorchScript), `exported` (torch.export at size x size),
    weights.pth (a state_dict) and full.pt (a full-model pickle).

    Saved by a fresh interpreter: torch.jit and torch.export import parts of torch lazily, and after
    TensorFlow (which another test may have imported in this pytest worker) that can crash the process.
    """
    subprocess.run([sys.executable, "-c", SAVE_TINY_CNN, str(folder), str(size), exported],
                   check=True, capture_output=True)
