"""onnx and onnxruntime at run time: imported once, quietly; nothing to forget between sources."""

from __future__ import annotations


def start():
    """What a worker calls first: import onnx and onnxruntime (onnxruntime logs warnings only at session level)."""
    from .load import require

    require()
    import onnx  # noqa: F401
    import onnxruntime

    onnxruntime.set_default_logger_severity(4)  # fatal only: a size that fails is reported in its row
    if hasattr(onnxruntime, "disable_telemetry_events"):
        onnxruntime.disable_telemetry_events()  # no usage events leave the machine
    return onnxruntime


def clear_session() -> None:
    """Each source builds its own InferenceSession; no state carries over from the previous one."""
