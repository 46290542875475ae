"""--format json: the report as one document; a checked model's head as the `head` list the table shows, and
each finding's `file` and `line` (the line that built its layer, else the source's file)."""

from __future__ import annotations

import json

from ..report import Report
from .head import head_rows
from .locate import where


def format_json(report: Report) -> str:
    data = report.to_json()
    for result, item in zip(report.results, data["results"]):
        for finding, found in zip(result.findings, item["findings"]):  # where each points, as the table shows it
            found["file"], found["line"] = where(result, finding)
        model = item.pop("model", None)  # the whole layer graph is the cache's business; the head is the user's
        if model is not None:
            item["head"] = [row.to_json() for row in head_rows(result)]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
