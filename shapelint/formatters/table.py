"""Human output. probe: one table per source (input size -> output shapes), the verdict and findings in words.
check: a status line, the head table (formatters/head.py), and findings in the `file:line: severity CODE`
layout of ruff and flake8; the probe table only when asked (--show-probe) or when the backbone is the problem.
"""

from __future__ import annotations

from tabulate import tabulate

from ..report import SEVERITIES, Report, SourceReport, severity_rank
from ..sources import format_size
from .head import head_rows, variable_sizes
from .locate import where


def shape_cell(shape) -> str:
    """(1, 7, 7, 1280), unknown dimensions as '?' (keras summary style)."""
    if shape is None:
        return "-"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def format_source(result: SourceReport, show_probe: bool = False, findings: bool = True) -> str:
    """findings=False leaves the finding lines out (the pytest plugin prints the failing ones first)."""
    if result.error:
        return f"{result.source}\n  error: {result.error}\n"
    if result.model is not None:
        return format_checked(result, show_probe, findings)
    lines = [result.source]
    if result.backbone and result.backbone.records:
        lines.append(_records_table(result.backbone))
    if result.verdict:
        lines.append(result.verdict["text"])
        lines += [f"note: {note}" for note in result.verdict.get("notes", ())]
    lines += finding_lines(result.findings) if findings else []
    return "\n".join(lines) + "\n"


def finding_lines(findings, result: SourceReport | None = None) -> list[str]:
    """Each finding as two lines: where (file:line when known), severity, code, rule and message; the fix beneath."""
    lines = []
    for f in findings:
        where = location(result, f) if result is not None else None
        if where:
            lines.append(f"{where}: {f.severity} {f.code} {f.rule}: {f.message}")
        else:
            layer = f" [{f.layer}]" if f.layer else ""
            lines.append(f"{f.severity:<7} {f.code} {f.rule}{layer}: {f.message}")
        lines.append(f"        fix: {f.fix}")
    return lines


def location(result: SourceReport, finding) -> str:
    """'models/heads.py:12' from the origin of the finding's layer; else the source's file; else the source."""
    file, line = where(result, finding)
    return f"{file}:{line}" if line else (file or result.source)


def status(result: SourceReport) -> str:
    """One line: the source and its outcome ('no findings', '1 error, 2 warnings')."""
    counts = {s: sum(f.severity == s for f in result.findings) for s in SEVERITIES}
    parts = [f"{n} {s}{'s' if n > 1 and s != 'info' else ''}"
             for s, n in sorted(counts.items(), key=lambda i: -severity_rank(i[0])) if n]
    return ", ".join(parts) or "all checks passed"


def format_checked(result: SourceReport, show_probe: bool = False, findings: bool = True) -> str:
    model, record = result.model, result.backbone
    lines = [f"{result.source}: {status(result)}{_fixed_note(result)}"]
    rows = head_rows(result)
    if rows:
        lines.append(_head_table(result, rows))
    backbone_problem = any(f.code.startswith("SL1") and severity_rank(f.severity) >= 1 for f in result.findings)
    if record and record.records and (show_probe or backbone_problem or (rows and rows[0].backbone and len(rows) == 1)):
        lines.append(_records_table(record, quiet_fixed=not show_probe))
        if result.verdict:
            lines.append(result.verdict["text"])
    if result.verdict:
        lines += [f"note: {note}" for note in result.verdict.get("notes", ())]
    if model.input_note:
        lines.append(f"note: {model.input_note}")
    if model.build_error:
        lines.append(f"note: the model cannot be built: {model.build_error}")
    worst_first = sorted(result.findings, key=lambda f: -severity_rank(f.severity))  # lead with what fails
    lines += finding_lines(worst_first, result) if findings else []
    return "\n".join(lines) + "\n"


def _fixed_note(result: SourceReport) -> str:
    """' (fixed input 160×160: ...)' when the model refuses other sizes, as it must: one line, not tracebacks."""
    record = result.backbone
    fixed = record.input.fixed_size if record else None
    if not fixed or not any(r.error for r in record.records):
        return ""
    return f" (fixed input {fixed[0]}×{fixed[1]}: other sizes are refused by the model)"


def _head_table(result: SourceReport, rows) -> str:
    model = result.model
    size = format_size(model.size) if model.size else "?"
    alt = (variable_sizes(result) and model.alt_size and model.alt_size != model.size
           and any(r.alt_shape is not None for r in rows))
    headers = ["line", "call", "layer", f"output at {size}"]
    if alt:
        headers.append(f"at {format_size(model.alt_size)}")
    codes = any(row.codes for row in rows)
    headers += ["what it does", *(["findings"] if codes else [])]
    table = []
    for row in rows:
        cells = [f"{row.origin[0]}:{row.origin[1]}" if row.origin else "", row.call if not row.backbone else
                 row.call.split(" '")[0], row.layer, shape_cell(row.shape)]
        if alt:
            cells.append(shape_cell(row.alt_shape))
        table.append([*cells, row.does, *([" ".join(row.codes)] if codes else [])])
    return tabulate(table, headers=headers, tablefmt="simple", disable_numparse=True)


def _records_table(backbone, quiet_fixed: bool = False) -> str:
    """Input size -> one column per output (or the size's error), and whether it was executed or inferred.

    quiet_fixed: a fixed-size backbone's refusals of other sizes are left out (check says so in one line).
    """
    names = backbone.output_names or ["output"]
    fixed = backbone.input.fixed_size
    rows = []
    for record in backbone.records:
        if quiet_fixed and fixed and record.error and record.size != fixed:
            continue
        cells = [shape_cell(record.outputs.get(n, ())) for n in names]
        if record.error:
            cells = [record.error] + [""] * (len(names) - 1)
        elif record.empty:
            cells[-1] += "  empty: too small"
        how = "executed" if record.executed else "inferred"
        rows.append([format_size(record.size), *cells, f"{how} ({record.why})" if record.why else how])
    headers = ["input", *(names if len(names) > 1 else ["output"]), "how"]
    widths = [None, *[70] * len(names), None]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True, maxcolwidths=widths)


def summary(report: Report) -> str:
    """One line per source, for runs over several sources."""
    rows = []
    for r in report.results:
        outcome = "load error" if r.error else status(r)
        pooling = (r.verdict or {}).get("pooling", "")
        sizes = (r.verdict or {}).get("input_sizes", "")
        rows.append([r.source, outcome, pooling, sizes])
    return tabulate(rows, headers=["source", "result", "pooling", "input sizes"], tablefmt="simple")


def format_table(report: Report, show_probe: bool = False) -> str:
    text = "\n".join(format_source(r, show_probe) for r in report.results)
    if len(report.results) > 1:
        text += "\n" + summary(report) + "\n"
    return text
