"""What the CI formats (sarif, github) share: where a result points, and one finding as annotation text."""

from __future__ import annotations

from ..report import Finding, SourceReport

# SARIF and GitHub both say "note"/"notice" for what shapelint calls info.
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def annotation_text(result: SourceReport, finding: Finding) -> str:
    """The message with its layer, the source when no file can carry it, and the fix on its own line.

    'Layer dense: Dense(5) receives ...' reads better in an annotation than a bracketed suffix; the
    layer and (for keras:/factory sources, which have no file) the source are added unless the message
    already names them.
    """
    text = finding.message
    if finding.layer and not any(f"{q}{finding.layer}{q}" in text for q in "'\""):
        text = f"Layer {finding.layer}: {text}"
    if not result.path and result.source not in finding.message:
        text = f"{result.source}: {text}"
    return f"{text}\nFix: {finding.fix}" if finding.fix else text
