"""What an ONNX graph declares about its input size: free height and width are a claim the probe then tests."""

from __future__ import annotations

from ...records.backbone import InputSpec, Layout
from ...records.facts import SizeRule


def declared_rule(name: str, declared: tuple, spec: InputSpec) -> SizeRule | None:
    """SizeRule(declared_dynamic=True) when the image input leaves its height and width free; None otherwise."""
    axes = (2, 3) if spec.layout is Layout.NCHW else (1, 2)
    if len(declared) != 4 or any(isinstance(declared[a], int) for a in axes):
        return None
    shown = "(" + ", ".join("?" if d is None else str(d) for d in declared) + ")"
    return SizeRule(declared_dynamic=True, evidence=f"the graph declares {name} {shown}")
