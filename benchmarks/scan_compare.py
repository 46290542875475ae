"""shapelint and ModelScan side by side on the hostile corpus (tests/hostile.py) and a benign corpus.

    python benchmarks/scan_compare.py [--markdown]

Every hostile case is first loaded directly, without either tool, to show that its payload fires (a file
written, or a host file read: its access time moves). Then `shapelint probe` (default flags, one worker)
runs on all of them, and `modelscan -p PATH` on each. "refused" means shapelint did not load the model
(a one-line refusal, or SL105 with nothing executed) and, for ModelScan, that it reported at least one
issue. "fired" is checked after each tool ran. The benign corpus gives the false positives: a refusal of,
or an issue in, a model that is fine. Run from the repository root with PYTHONPATH=$PWD.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import shapelint_command
from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import hostile  # noqa: E402


def shapelint_verdicts(paths: list[Path]) -> tuple[dict[str, str], float]:
    """Path -> "refused" / "loaded" / "error: ..." from one `shapelint probe` run, and its wall time."""
    command = [*shapelint_command(), "probe", "--format", "json", "--no-cache", "--jobs", "1", "--sizes", "32",
               *map(str, paths)]
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    results = json.loads(run.stdout)["results"]
    verdicts = {}
    for path, result in zip(paths, results):
        error = result.get("error") or ""
        sl105 = [f for f in result.get("findings", []) if f["code"] == "SL105"]
        if "refused to load" in error or (sl105 and "not loaded or executed" in sl105[0]["message"]):
            verdicts[str(path)] = "refused"
        elif error:
            verdicts[str(path)] = f"error: {error}"
        else:
            verdicts[str(path)] = "loaded"
    return verdicts, elapsed


def modelscan_verdicts(paths: list[Path]) -> tuple[dict[str, str], float]:
    """Path -> "flagged: <operators>" / "passed" / "error" from `modelscan -p PATH -r json` on each path."""
    executable = Path(sys.executable).with_name("modelscan")
    verdicts = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for i, path in enumerate(paths):
            report = Path(folder) / f"{i}.json"
            subprocess.run([str(executable), "-p", str(path), "-r", "json", "-o", str(report)], capture_output=True)
            data = json.loads(report.read_text()) if report.exists() else {}
            issues = data.get("issues") or []
            if issues:
                verdicts[str(path)] = "flagged: " + ", ".join(sorted({i["operator"] for i in issues}))
            else:
                verdicts[str(path)] = "passed" if data else "error"
    return verdicts, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table as GitHub markdown")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory() as folder:
        cases = hostile.build(Path(folder) / "hostile")
        good = hostile.benign(Path(folder) / "benign", ROOT / "fixtures")
        fired = hostile.fired(cases)
        rows, totals = [], {"shapelint": [0, 0, 0], "ModelScan": [0, 0, 0]}  # refused, fired, false positives
        for case in cases:
            case.arm()
        ours, our_time = shapelint_verdicts([c.path for c in cases])
        ours_fired = {c.name: c.went_off() for c in cases}
        for case in cases:
            case.arm()
        theirs, their_time = modelscan_verdicts([c.path for c in cases])
        theirs_fired = {c.name: c.went_off() for c in cases}
        for case in cases:
            refused = ours[str(case.path)] == "refused"
            flagged = theirs[str(case.path)].startswith("flagged")
            totals["shapelint"][0] += refused
            totals["shapelint"][1] += ours_fired[case.name]
            totals["ModelScan"][0] += flagged
            totals["ModelScan"][1] += theirs_fired[case.name]
            rows.append([case.name, case.family, "yes" if fired[case.name] else "NO",
                         "refused" if refused else ours[str(case.path)], theirs[str(case.path)]])
        benign_ours, _ = shapelint_verdicts(good)
        benign_theirs, _ = modelscan_verdicts(good)
        totals["shapelint"][2] = sum(v != "loaded" for v in benign_ours.values())
        totals["ModelScan"][2] = sum(v != "passed" for v in benign_theirs.values())
        false_positives = [f"{Path(p).name}: shapelint {benign_ours[p]}, ModelScan {benign_theirs[p]}" for p in benign_ours
                           if benign_ours[p] != "loaded" or benign_theirs[p] != "passed"]
    table = tabulate(rows, headers=["hostile case", "family", "fires without a guard", "shapelint (default flags)",
                                    "ModelScan 0.8"], tablefmt="github" if args.markdown else "simple")
    print(table)
    print()
    n = len(cases)
    for tool, (refused, went_off, fp) in totals.items():
        print(f"{tool}: {refused}/{n} hostile files refused, {went_off}/{n} payloads fired during the run, "
              f"{fp}/{len(good)} benign models refused or flagged")
    print(f"wall time on the hostile corpus: shapelint {our_time:.1f} s (one probe, loads nothing it refuses), "
          f"ModelScan {their_time:.1f} s ({n} runs); ratio {their_time / our_time:.2f}")
    for line in false_positives:
        print("  benign: " + line)


if __name__ == "__main__":
    main()
