"""Write the README's rule table (from the rule docs) and an example run on a buggy model.

    python scripts/rule_docs.py            rewrite the section between the rules-table markers
    python scripts/rule_docs.py --check    exit 1 if the README section is stale (a test runs this)

The example run executes `shapelint check` on examples/buggy_head.py in this process, from the
repository root, so the output is exactly what a user sees.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
EXAMPLE = ["check", "examples/buggy_head.py:flatten_head", "examples/buggy_head.py:no_pooling",
           "--num-classes", "5", "--sizes", "224,160"]


def rule_table() -> str:
    from shapelint.rules.registry import all_rules

    lines = ["| Code | Name | Severity | What it does |", "| --- | --- | --- | --- |"]
    for rule in all_rules():
        lines.append(f"| {rule.code} | `{rule.name}` | {rule.severity} | {rule.summary} |")
    return "\n".join(lines)


def example_run() -> str:
    from click.testing import CliRunner

    from shapelint.cli import main

    cwd = os.getcwd()
    os.chdir(ROOT)  # sources are shown as given, relative to the repository root
    try:
        result = CliRunner().invoke(main, [*EXAMPLE, "--jobs", "0", "--no-cache"])
    finally:
        os.chdir(cwd)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"example run failed (exit {result.exit_code}): {result.output}")
    return f"$ shapelint {' '.join(EXAMPLE)}\n{result.stdout.rstrip()}\n$ echo $?\n{result.exit_code}"


def section() -> str:
    return "\n".join([
        START,
        "## Rules",
        "",
        "`shapelint check` runs the probe rules (SL1xx) on the backbone inside a model and the head rules",
        "(SL2xx) on the layers after it. `shapelint rules` lists them; `shapelint explain CODE` prints a rule's",
        "full documentation. Select or ignore rules by code prefix or name (`--select SL2 --ignore SL202`).",
        "",
        rule_table(),
        "",
        "An example run on two buggy heads ([examples/buggy_head.py](examples/buggy_head.py)):",
        "",
        "```",
        example_run(),
        "```",
        END,
    ])


def render(text: str) -> str:
    """The README text with the rules section regenerated."""
    if START not in text or END not in text:
        raise SystemExit(f"{README}: missing {START} / {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + section() + tail


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README section is stale")
    args = parser.parse_args(argv)
    current = README.read_text()
    fresh = render(current)
    if args.check:
        if fresh != current:
            diff = difflib.unified_diff(current.splitlines(True), fresh.splitlines(True), "README.md", "generated")
            print(f"{README.name}: the rules section is stale; run python scripts/rule_docs.py\n{''.join(diff)}",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
