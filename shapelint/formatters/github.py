"""GitHub Actions workflow commands: one ::error/::warning/::notice line per finding or load error, within the
number GitHub shows, and one closing notice for the rest."""

from __future__ import annotations

from ..report import Report
from ..text import counted, plural
from .locate import GITHUB_LEVELS, annotation_text, where

# GitHub shows at most 10 annotations of each level (error, warning, notice) per step, and drops the rest
# without a word; shapelint keeps the most severe and says how many it left out.
LIMIT = 10


def escape_data(text: str) -> str:
    """Workflow-command message escaping: %, CR and LF (a newline becomes a line break in the annotation)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Property values (title=, file=) also escape the ':' and ',' that delimit them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, title: str, message: str, file: str | None = None, line: int | None = None) -> str:
    props = f"title={escape_property(title)}"
    if file:
        props += f",file={escape_property(file)}"
        if line:
            props += f",line={line}"
    return f"::{level} {props}::{escape_data(message)}"


def format_github(report: Report, limit: int = LIMIT) -> str:
    """The most severe annotations GitHub will show (`limit` of each level; a load error first, then findings
    that point at a line), and one closing notice that counts the rest and says where they all are."""
    ranked = []  # (level, rank, line): rank orders the annotations within a level
    for result in report.results:
        if result.error:
            ranked.append(("error", (0, 0), command("error", "shapelint load error", result.error, result.path)))
        for finding in result.findings:
            title = f"shapelint {finding.code} {finding.rule}"
            file, line = where(result, finding, in_tree=True)
            ranked.append((GITHUB_LEVELS[finding.severity], (1, 0 if line else 1),
                           command(GITHUB_LEVELS[finding.severity], title, annotation_text(result, finding), file, line)))
    kept, left_out = _within(ranked, limit)
    if left_out:  # the closing notice takes one notice's place
        kept, left_out = _within(ranked, limit, notices=limit - 1)
        counts = ", ".join(counted(n, word) for word, n in (("error", left_out.get("error", 0)),
                           ("warning", left_out.get("warning", 0)), ("notice", left_out.get("notice", 0))) if n)
        total = sum(left_out.values())
        kept.append(command("notice", f"shapelint: {total} more {plural(total, 'finding')} not annotated",
                            f"{total} more {plural(total, 'finding')} were not annotated ({counts}): GitHub shows at "
                            f"most {limit} annotations of each level per step. Every finding is in the step summary "
                            "of the shapelint action and in its SARIF file (or run shapelint check locally)."))
    return "".join(line + "\n" for line in kept)


def _within(ranked, limit: int, notices: int | None = None) -> tuple[list[str], dict[str, int]]:
    """The lines GitHub will show, most severe level first and by rank within one; how many of each level not."""
    caps = {"error": limit, "warning": limit, "notice": limit if notices is None else notices}
    kept, left_out = [], {}
    for level in ("error", "warning", "notice"):
        lines = [line for lvl, _, line in sorted((r for r in ranked if r[0] == level), key=lambda r: r[1])]
        kept += lines[:caps[level]]
        if len(lines) > caps[level]:
            left_out[level] = len(lines) - caps[level]
    return kept, left_out
