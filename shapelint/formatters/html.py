"""One source's result as HTML, for Jupyter (`_repr_html_`): the same tables and lines as the terminal shows."""

from __future__ import annotations

from html import escape

from tabulate import tabulate

from ..report import SourceReport, severity_rank
from ..sources import format_size
from .head import head_rows, size_text, variable_sizes
from .table import location, shape_cell, status

COLORS = {"error": "#c62828", "warning": "#b26a00", "info": "#555"}


def format_html(result: SourceReport) -> str:
    parts = [f"<p><b>{escape(result.source)}</b>: {escape(_headline(result))}</p>"]
    if result.error:
        return parts[0]
    rows = head_rows(result)
    if rows:
        parts.append(_head_table(result, rows))
    elif result.backbone and result.backbone.records:
        parts.append(_records_table(result))
    if result.verdict and result.model is None:
        parts.append(f"<p>{escape(result.verdict['text'])}</p>")
    findings = sorted(result.findings, key=lambda f: -severity_rank(f.severity))
    if findings:
        items = [f"<li><code>{escape(location(result, f))}</code> "
                 f"<b style=\"color:{COLORS[f.severity]}\">{f.severity} {f.code}</b> {escape(f.rule)}: "
                 f"{escape(f.message)}<br><i>fix:</i> {escape(f.fix)}</li>" for f in findings]
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(parts)


def _headline(result: SourceReport) -> str:
    if result.error:
        return f"error: {result.error}"
    return status(result) if result.model is not None else (result.verdict or {}).get("pooling", "probed")


def _head_table(result: SourceReport, rows) -> str:
    model = result.model
    alt = (variable_sizes(result) and model.alt_size and model.alt_size != model.size
           and any(r.alt_shape is not None for r in rows))
    headers = ["line", "call", "layer", f"output at {size_text(model, model.size) if model.size else '?'}",
               *([f"at {model.alt_label}"] if alt else []), "what it does", "findings"]
    table = [[f"{r.origin[0]}:{r.origin[1]}" if r.origin else "", r.call, r.layer, shape_cell(r.shape),
              *([shape_cell(r.alt_shape)] if alt else []), r.does, " ".join(r.codes)] for r in rows]
    return tabulate(table, headers=headers, tablefmt="html", disable_numparse=True)


def _records_table(result: SourceReport) -> str:
    record = result.backbone
    names = record.output_names or ["output"]
    rows = [[format_size(r.size), *([r.error] if r.error else [shape_cell(r.outputs.get(n, ())) for n in names]),
             "executed" if r.executed else "inferred"] for r in record.records]
    headers = ["input", *(names if len(names) > 1 else ["output"]), "how"]
    return tabulate(rows, headers=headers, tablefmt="html", disable_numparse=True)
