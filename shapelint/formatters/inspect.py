"""`shapelint inspect` output: one block of tables per source, or JSON. Plain functions of Inspection lists."""

from __future__ import annotations

import json

from tabulate import tabulate

from ..records.inspection import Inspection, describe_suspicious
from .table import shape_cell

JSON_VERSION = 1


def shape_text(shape) -> str:
    return "(unknown rank)" if shape is None else shape_cell(shape)


def _tensors(tensors) -> str:
    return "\n".join(f"{t.name} {t.dtype} {shape_text(t.shape)}" for t in tensors) or "-"


def _input_line(inspection: Inspection) -> str:
    spec = inspection.input
    if spec is None:
        return "input: no image input (N, H, W, C) found"
    size = f"fixed at {spec.height}x{spec.width}" if spec.fixed_size else "height/width not fixed"
    value_range = (f"[{inspection.value_range[0]:g}, {inspection.value_range[1]:g}] (declared by the module)"
                   if inspection.value_range else "unknown (the module declares none)")
    return f"input: {spec.dtype}, {spec.channels} channels, {spec.layout.value}, {size}; value range {value_range}"


def _suspicious_line(found) -> str:
    """What the allowlist scan `shapelint probe` makes before loading found: ops no reviewed list allows."""
    if not found:
        return "ops outside the allowlist: none"
    return (f"ops outside the allowlist: {describe_suspicious(found, limit=len(found))} "
            "(SL105: `shapelint probe` will not load it without --trust)")


def format_one(inspection: Inspection) -> str:
    if inspection.error:
        return f"{inspection.source}\n  error: {inspection.error}\n"
    lines = [f"{inspection.source}  ({inspection.kind})"]
    if inspection.suspicious is not None:
        lines.append(_suspicious_line(inspection.suspicious))
    if inspection.endpoints:
        rows = [["*" if e.function == inspection.probe_function else "", e.name, e.kind,
                 _tensors(e.inputs) + ("\n" + " ".join(e.arguments) if e.arguments else ""), _tensors(e.outputs)]
                for e in inspection.endpoints]
        lines.append(tabulate(rows, headers=["", "endpoint", "kind", "inputs", "outputs"], tablefmt="simple"))
        lines.append("(* the endpoint the probe calls)" if inspection.probe_endpoint else "(no endpoint the probe can call)")
    if inspection.outputs:
        rows = [[o.name, shape_text(o.shape), o.pooling, " > ".join(o.tail_ops) or "-"] for o in inspection.outputs]
        lines.append(tabulate(rows, headers=["output", "shape", "inner_pooling", "tail_ops (last ops, in order)"],
                              tablefmt="simple", maxcolwidths=[None, None, None, 100]))
    v = inspection.variables
    lines.append(_input_line(inspection))
    lines.append(f"variables: {v.count} ({v.trainable} trainable); parameters: {v.parameters:,} "
                 f"({v.trainable_parameters:,} trainable, {v.parameters - v.trainable_parameters:,} not)")
    if inspection.fine_tunable is not None:
        answer = "yes" if inspection.fine_tunable else "no"
        lines.append(f"fine-tune with hub.KerasLayer: {answer}: {inspection.fine_tune_reason}")
    lines.extend(f"note: {note}" for note in inspection.notes)
    if inspection.usage:
        lines.append("usage:\n" + "\n".join("  " + line for line in inspection.usage.splitlines()))
    return "\n".join(lines) + "\n"


def format_inspect_table(inspections: list[Inspection]) -> str:
    return "\n".join(format_one(i) for i in inspections)


def format_inspect_json(inspections: list[Inspection]) -> str:
    data = {"version": JSON_VERSION, "results": [i.to_json() for i in inspections]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


INSPECT_FORMATTERS = {"table": format_inspect_table, "json": format_inspect_json}
