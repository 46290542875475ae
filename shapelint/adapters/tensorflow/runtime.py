"""TensorFlow at run time: imported without its start-up chatter, sessions cleared, host limits named."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings

from ...errors import one_line
from ..base import CannotExecuteHere

_done = False


@contextlib.contextmanager
def stderr_silenced():
    """Send file descriptor 2 to /dev/null: C++ logging bypasses Python's sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    """Import tensorflow once, quietly; returns the module."""
    global _done
    if not _done:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        with stderr_silenced(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import keras  # noqa: F401  (Keras 3 registers itself with tf.keras on import)
            import tensorflow as tf
        tf.get_logger().setLevel(logging.ERROR)
        logging.getLogger("absl").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module=r"(keras|tf_keras|tensorflow|tensorflow_hub)(\.|$)")
        _done = True
    import tensorflow as tf

    return tf


def clear_session() -> None:
    """Start the next source from a clean slate: Keras numbers unnamed layers per session ('dense_1'),
    so without this a layer's name in a finding would depend on which sources ran before in the worker."""
    import keras

    keras.backend.clear_session()
    if "tf_keras" in sys.modules:
        sys.modules["tf_keras"].backend.clear_session()


@contextlib.contextmanager
def host_limits():
    """Turn 'this machine cannot run that op' into CannotExecuteHere, so a model is not blamed for the host."""
    tf = import_tensorflow()
    try:
        yield
    except tf.errors.UnimplementedError as exc:
        raise CannotExecuteHere(one_line(exc)) from None


start = import_tensorflow  # what a worker calls first (adapters/__init__.py: every runtime has start())
