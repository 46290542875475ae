"""ONNX -> ModelRecord for `shapelint check`: the graph is probed whole as the backbone.

An ONNX graph has no layer objects to walk for the head rules, so the record carries only the
backbone's probe (SL1xx apply); the head rules see no layers and stay silent.
"""

from __future__ import annotations

from ...records.layers import ModelRecord
from ..base import Backbone


def model_record(backbone: Backbone, sizes, probe, whole_is_backbone: bool = False) -> ModelRecord:
    """probe(backbone, sizes) is the engine's probe, passed in so this adapter does not call up into the engine."""
    record = probe(backbone, sizes)
    return ModelRecord(backbone.name, backbone=record, notes=tuple(backbone.notes))
