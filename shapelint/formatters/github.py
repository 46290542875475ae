"""GitHub Actions workflow commands: one ::error/::warning/::notice line per finding or load error."""

from __future__ import annotations

from ..report import Report
from .locate import GITHUB_LEVELS, annotation_text, where


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


def format_github(report: Report) -> str:
    lines = []
    for result in report.results:
        if result.error:
            lines.append(command("error", "shapelint load error", result.error, result.path))
        for finding in result.findings:
            title = f"shapelint {finding.code} {finding.rule}"
            file, line = where(result, finding, in_tree=True)
            lines.append(command(GITHUB_LEVELS[finding.severity], title, annotation_text(result, finding), file, line))
    return "".join(line + "\n" for line in lines)
