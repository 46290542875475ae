"""shapelint, ModelScan, ModelAudit and picklescan side by side on the hostile corpora and a benign corpus.

    python benchmarks/scan_compare.py [--markdown]

The hostile corpora are tests/hostile.py (Keras files and SavedModels) and tests/hostile_loads.py (TorchScript,
torch.export archives, timm/torchvision/Hugging Face sources, KerasHub presets). Every case is first loaded
directly, the ordinary way, without any tool, to show that its payload fires (a file written, or a host file
read: its access time moves). Then `shapelint probe` (default flags, one worker, an empty result cache) runs
on all of them, and each scanner on each file or folder. "refused" means shapelint did not load the model (a
one-line refusal, or SL105 with nothing executed), or, for the one case where shapelint builds the
architecture without touching the poisoned cache, "contained"; for a scanner, that it reported the file
(its exit code says so). A named source (timm:..., torchvision:...) is not a file: scanners have nothing to
scan ("n/a"). "fired" is checked after each tool ran. The benign corpus gives the false positives: a
refusal of, or a finding in, a model that is fine. Run from the repository root with PYTHONPATH=$PWD;
scanners that are not installed are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
import hostile_loads  # noqa: E402

# Scanners as their users run them, one file or folder at a time: exit code 1 means "found something".
SCANNERS = {
    "ModelScan 0.8": lambda path: ["modelscan", "-p", str(path)],
    "ModelAudit 0.2": lambda path: ["modelaudit", "scan", str(path), "-q"],
    "picklescan 1.0": lambda path: ["picklescan", "-p", str(path)],
}
QUIET = {"PROMPTFOO_DISABLE_TELEMETRY": "1", "NO_ANALYTICS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def shapelint_verdicts(sources: list[str], env: dict | None = None) -> tuple[dict[str, str], float]:
    """Source -> "refused" / "loaded" / "error: ..." from one `shapelint probe` run, and its wall time."""
    with tempfile.TemporaryDirectory() as cache:
        command = [*shapelint_command(), "probe", "--format", "json", "--jobs", "1", "--sizes", "32", *sources]
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True,
                             env={**os.environ, "SHAPELINT_CACHE_DIR": cache, **(env or {})})
        elapsed = time.perf_counter() - start
    verdicts = {}
    for source, result in zip(sources, json.loads(run.stdout)["results"]):
        error = result.get("error") or ""
        sl105 = [f for f in result.get("findings", []) if f["code"] == "SL105"]
        if "refused to load" in error or (sl105 and "not loaded or executed" in sl105[0]["message"]):
            verdicts[source] = "refused"
        else:
            verdicts[source] = f"error: {error}" if error else "loaded"
    return verdicts, elapsed


def scanner_verdicts(scanner: str, paths: list[Path | None], env: dict | None = None) -> tuple[dict, float]:
    """Path -> "flagged" / "passed" / "error" / "n/a" (a named source, no file), and the total wall time."""
    verdicts, elapsed = {}, 0.0
    for path in paths:
        if path is None:
            verdicts[path] = "n/a"
            continue
        start = time.perf_counter()
        run = subprocess.run(SCANNERS[scanner](path), capture_output=True, text=True, timeout=900,
                             env={**os.environ, **QUIET, **(env or {})})
        elapsed += time.perf_counter() - start
        verdicts[path] = {0: "passed", 1: "flagged"}.get(run.returncode, f"error ({run.returncode})")
    return verdicts, elapsed


def hostile_cases(folder: Path) -> list:
    """Both corpora, as hostile_loads.Case-like objects with .text (the source) and .path (the file or None)."""
    keras_and_savedmodels = hostile.build(folder / "hostile")
    host, fired = folder / "loads-host", folder / "loads-fired"
    host.mkdir()
    fired.mkdir()
    loads = hostile_loads.torch_cases(folder / "torch", host, fired) + hostile_loads.kerashub_cases(folder / "kerashub", host)
    wrapped = [hostile_loads.Case(c.name, c.family, c.path, c.fire, c.writes, c.reads, c.refusal) for c in keras_and_savedmodels]
    return wrapped + loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table as GitHub markdown")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    scanners = [name for name, command in SCANNERS.items() if shutil.which(command(Path("x"))[0])
                or Path(sys.executable).with_name(command(Path("x"))[0]).exists()]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory() as folder:
        cases = hostile_cases(Path(folder))
        good = hostile.benign(Path(folder) / "benign", ROOT / "fixtures")
        tf_cases = [c for c in cases if not c.env and not c.prelude]
        fired = {**hostile.fired(tf_cases), **hostile_loads.fired([c for c in cases if c not in tf_cases])}
        env = {key: value for case in cases for key, value in case.env.items()}  # the poisoned torch hub cache
        tools = ["shapelint", *scanners]
        verdicts, went_off, times = {}, {}, {}
        for tool in tools:
            for case in cases:
                case.arm()
            if tool == "shapelint":
                ours, times[tool] = shapelint_verdicts([c.text for c in cases], env)
                verdicts[tool] = {c.name: ours[c.text] if ours[c.text] != "loaded" or c.refusal else "contained"
                                  for c in cases}
            else:
                theirs, times[tool] = scanner_verdicts(tool, [c.path for c in cases], env)
                verdicts[tool] = {c.name: theirs[c.path] for c in cases}
            went_off[tool] = {c.name for c in cases if c.went_off()}
        for case in cases:
            case.arm()
        benign = {"shapelint": shapelint_verdicts([str(p) for p in good])[0]}
        for tool in scanners:
            benign[tool] = {str(p): v for p, v in scanner_verdicts(tool, good)[0].items()}
    rows = [[c.name, c.family, "yes" if fired[c.name] else "NO",
             *(verdicts[tool][c.name] + (" (FIRED)" if c.name in went_off[tool] else "") for tool in tools)] for c in cases]
    headers = ["hostile case", "family", "fires without a guard", "shapelint (default flags)", *scanners]
    print(tabulate(rows, headers=headers, tablefmt="github" if args.markdown else "simple"))
    print()
    n = len(cases)
    for tool in tools:
        stopped = sum(v in ("refused", "contained", "flagged") for v in verdicts[tool].values())
        false = sum(v not in ("loaded", "passed") for v in benign[tool].values())
        print(f"{tool}: {stopped}/{n} hostile sources refused or flagged, {len(went_off[tool])}/{n} payloads fired "
              f"during its run, {false}/{len(good)} benign models refused or flagged; {times[tool]:.0f} s")
    for tool in tools:
        for path, verdict in benign[tool].items():
            if verdict not in ("loaded", "passed"):
                print(f"  benign {Path(path).name}: {tool} {verdict}")


if __name__ == "__main__":
    main()
