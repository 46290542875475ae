"""Start-up cost of the commands that must not import TensorFlow, against `python -c "import click, tabulate"`.

    python benchmarks/startup.py [--repeat 15]

Prints the median wall time of each command and its ratio to the baseline, measured in the same run
with the runs interleaved. Target (issue 7): every ratio at most 1.5.
"""

from __future__ import annotations

import argparse
import sys

from _measure import interleaved, median, shapelint_command
from tabulate import tabulate

TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    shapelint = shapelint_command()
    commands = {
        'python -c "import click, tabulate"': ([sys.executable, "-c", "import click, tabulate"], None),
        "shapelint --help": ([*shapelint, "--help"], None),
        "shapelint rules": ([*shapelint, "rules"], None),
        "shapelint explain SL101": ([*shapelint, "explain", "SL101"], None),
    }
    runs = interleaved(commands, args.repeat)
    base = median(r[0] for r in runs[next(iter(commands))])
    rows = []
    for name, samples in runs.items():
        seconds = median(r[0] for r in samples)
        rows.append([name, f"{seconds * 1000:.0f}", f"{seconds / base:.2f}×", f"{median(r[2] for r in samples):.0f}"])
    print(tabulate(rows, headers=["command", "median ms", "ratio", "peak MiB"], tablefmt="github"))
    worst = max(median(r[0] for r in s) for s in runs.values()) / base
    print(f"\nworst ratio {worst:.2f}× (target ≤ {TARGET}×): {'met' if worst <= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
