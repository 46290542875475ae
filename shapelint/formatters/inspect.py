"""`shapelint inspect` output: one block of tables per source, or JSON. Plain functions of Inspection lists."""

from __future__ import annotations

import json
import re

from tabulate import tabulate

from ..records.inspection import Inspection, describe_suspicious
from ..text import plural
from .table import shape_cell

JSON_VERSION = 1
BLOCK = re.compile(r"[A-Za-z]+_?\d+(?=[_/])")  # block_1 of block_1_expand, stage2 of stage2/unit1


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


def _dims(shape) -> str:
    inner = ", ".join("?" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _variables_cell(variables) -> str:
    """'gamma, beta, moving_mean, moving_variance (16,)': neighbours of one shape share it."""
    runs: list[tuple[list[str], tuple]] = []
    for name, shape, _ in variables:
        if runs and runs[-1][1] == shape:
            runs[-1][0].append(name)
        else:
            runs.append(([name], shape))
    return "; ".join(f"{', '.join(names)} {_dims(shape)}" for names, shape in runs)


def _layers_line(inspection: Inspection, listed: bool) -> str:
    """How many layers, and where the spatial size halves: the module's structure in one line."""
    halves = [layer for layer in inspection.layers if layer.stride]
    where = ", ".join(f"{layer.name} ({'stride ' if i == 0 else ''}{layer.stride})" for i, layer in enumerate(halves))
    count = len(inspection.layers)
    how = "listed above" if listed else "--layers lists them with their shapes"
    line = f"layers: {count} (variables grouped by name; {how})"
    blocks = _blocks(layer.name for layer in inspection.layers)
    if len(blocks) > 1:
        line += f"; blocks: {len(blocks)} ({blocks[0]} to {blocks[-1]})"
    if halves:
        line += f"; the spatial size halves {len(halves)} {plural(len(halves), 'time')}: at {where}"
    return line


def _blocks(names) -> list[str]:
    """The numbered stems that several layers share (block_1 of block_1_expand, block_1_depthwise, ...)."""
    counts: dict[str, int] = {}
    for name in names:
        stem = BLOCK.match(name)
        if stem:
            counts[stem.group(0)] = counts.get(stem.group(0), 0) + 1
    return [stem for stem, n in counts.items() if n > 1]


def _layers_table(inspection: Inspection) -> str:
    rows = [[layer.name, _variables_cell(layer.variables), f"{layer.parameters:,}", layer.stride or ""]
            for layer in inspection.layers]
    return tabulate(rows, headers=["layer", "variables (shape)", "parameters", "output stride"], tablefmt="simple",
                    colalign=("left", "left", "right", "right"))


def format_one(inspection: Inspection, layers: bool = False) -> str:
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
    if layers and inspection.layers:
        lines.append(_layers_table(inspection))
    lines.append(f"variables: {v.count} ({v.trainable} trainable); parameters: {v.parameters:,} "
                 f"({v.trainable_parameters:,} trainable, {v.parameters - v.trainable_parameters:,} not)")
    if inspection.layers:
        lines.append(_layers_line(inspection, layers))
    if inspection.fine_tunable is not None:
        answer = "yes" if inspection.fine_tunable else "no"
        lines.append(f"fine-tune with hub.KerasLayer: {answer}: {inspection.fine_tune_reason}")
    lines.extend(f"note: {note}" for note in inspection.notes)
    if inspection.usage:
        lines.append("usage:\n" + "\n".join("  " + line for line in inspection.usage.splitlines()))
    return "\n".join(lines) + "\n"


def format_inspect_table(inspections: list[Inspection], layers: bool = False, show_errors: bool = True) -> str:
    """show_errors=False leaves out the sources that could not be read (the CLI writes them to stderr)."""
    return "\n".join(format_one(i, layers) for i in inspections if show_errors or not i.error)


def format_inspect_json(inspections: list[Inspection], layers: bool = False, show_errors: bool = True) -> str:
    data = {"version": JSON_VERSION, "results": [i.to_json() for i in inspections]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


INSPECT_FORMATTERS = {"table": format_inspect_table, "json": format_inspect_json}
