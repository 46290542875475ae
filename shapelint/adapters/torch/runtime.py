"""PyTorch at run time: imported quietly, one thread pool per worker, and torchvision never after TensorFlow."""

from __future__ import annotations

import os
import sys
import warnings

from ...sources import SourceError

_done = False


def import_torch():
    """Import torch once, quietly; returns the module.

    In a process that already holds TensorFlow (the pytest plugin's, or --jobs 0), triton is kept from
    loading: torch imports it lazily (the meta device's decompositions ask whether it exists) and
    loading it after TensorFlow crashes the process. torch treats it as absent; shapelint runs on the
    CPU and never needs it. Workers never hold both, so there triton is left alone.
    """
    global _done
    if not _done:
        if "tensorflow" in sys.modules and "triton" not in sys.modules:
            sys.modules["triton"] = None  # `import triton` now raises ImportError, which torch handles
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import torch
        threads = os.environ.get("OMP_NUM_THREADS")
        if threads and threads.isdigit():
            torch.set_num_threads(max(1, int(threads)))
        warnings.filterwarnings("ignore", module=r"(torch|torchvision|timm|transformers)(\.|$)")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # shapelint never downloads
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        _done = True
    import torch

    return torch


def import_vision(text: str, name: str):
    """Import torchvision or timm (timm imports torchvision), refusing where that would crash the process.

    TensorFlow imported first and torchvision second ends this process with a segmentation fault on
    common installs; a worker never has both, but a caller's own process (jobs=0, the pytest plugin)
    might, so the import is refused in one line instead.
    """
    if "tensorflow" in sys.modules and "torchvision" not in sys.modules:
        raise SourceError(f"{text}: {name} cannot be imported after TensorFlow in one process (it crashes); "
                          "run it in a worker (--jobs 1 or more; in Python, shapelint.probe(..., jobs=1) or "
                          "shapelint.check(..., jobs=1)), or import torchvision before TensorFlow")
    import_torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return __import__(name)


def clear_session() -> None:
    """Nothing carries over between torch sources; the same seed makes random weights repeatable."""
    import_torch().manual_seed(0)


start = import_torch
