"""torch.nn.Module: where the user's code created each module (see adapters/origins.py).

Every module's construction runs nn.Module.__init__, so wrapping that one method while a factory runs
records the user's line for the modules it builds, including those a library (timm) builds for it.
"""

from __future__ import annotations

import contextlib

from ..origins import origin_of, recording
from .runtime import import_torch

__all__ = ["origin_of", "recording_modules"]


@contextlib.contextmanager
def recording_modules():
    with recording([import_torch().nn.Module]):
        yield
