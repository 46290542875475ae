from __future__ import annotations

import json

from ..report import Report


def format_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
