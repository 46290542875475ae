"""Human output: one table per source (input size -> output shapes), then the verdict and findings in words."""

from __future__ import annotations

from tabulate import tabulate

from ..report import Report, SourceReport
from ..sources import format_size


def shape_cell(shape) -> str:
    """(1, 7, 7, 1280), unknown dimensions as '?' (keras summary style)."""
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def format_source(result: SourceReport) -> str:
    if result.error:
        return f"{result.source}\n  error: {result.error}\n"
    lines = [result.source]
    if result.backbone and result.backbone.records:
        lines.append(_records_table(result.backbone))
    if result.verdict:
        lines.append(result.verdict["text"])
        lines += [f"note: {note}" for note in result.verdict.get("notes", ())]
    lines += finding_lines(result.findings)
    return "\n".join(lines) + "\n"


def finding_lines(findings) -> list[str]:
    """Each finding as two lines: severity, code, rule, [layer] and message; the fix beneath."""
    lines = []
    for f in findings:
        where = f" [{f.layer}]" if f.layer else ""
        lines += [f"{f.severity:<7} {f.code} {f.rule}{where}: {f.message}", f"        fix: {f.fix}"]
    return lines


def _records_table(backbone) -> str:
    """Input size -> one column per output (or the size's error), and whether it was executed or inferred."""
    names = backbone.output_names or ["output"]
    rows = []
    for record in backbone.records:
        cells = [shape_cell(record.outputs.get(n, ())) for n in names]
        if record.error:
            cells = [record.error] + [""] * (len(names) - 1)
        elif record.empty:
            cells[-1] += "  empty: too small"
        rows.append([format_size(record.size), *cells, "executed" if record.executed else "inferred"])
    headers = ["input", *(names if len(names) > 1 else ["output"]), "how"]
    widths = [None, *[70] * len(names), None]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True, maxcolwidths=widths)


def format_table(report: Report) -> str:
    return "\n".join(format_source(r) for r in report.results)
