"""What probing several sizes costs: `shapelint probe` against the loop a user writes by hand.

    python benchmarks/probe_cost.py [--model EfficientNetB3] [--sizes 224,320,512,768,1024] [--repeat 2]

Each side runs in its own process tree from a cold interpreter (TensorFlow import and model build
included on both sides), interleaved, so one run gives a fair ratio. Peak memory is the largest RSS of
any process in the tree. Target (issue 7): shapelint ≤ 0.4× the hand-written loop, and shapelint's
peak memory independent of the largest size (compare the "smallest size only" row).
"""

from __future__ import annotations

import argparse
import sys

from tabulate import tabulate

from _measure import interleaved, median, shapelint_command

TARGET = 0.4
HAND_LOOP = """
import sys
import numpy as np
import keras

model = getattr(keras.applications, sys.argv[1])(include_top=False, weights=None, input_shape=(None, None, 3))
for size in map(int, sys.argv[2].split(",")):
    model(np.zeros((1, size, size, 3), dtype="float32"), training=False)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="EfficientNetB3")
    parser.add_argument("--sizes", default="224,320,512,768,1024")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    quiet = {"TF_CPP_MIN_LOG_LEVEL": "3"}
    probe = [*shapelint_command(), "probe", f"keras:{args.model}", "--no-cache", "--quiet", "--format", "json"]
    smallest = args.sizes.split(",")[0]
    commands = {
        "hand-written loop (model(np.zeros) per size)": ([sys.executable, "-c", HAND_LOOP, args.model, args.sizes], quiet),
        f"shapelint probe --sizes {args.sizes}": ([*probe, "--sizes", args.sizes], None),
        f"shapelint probe --sizes {args.sizes} --jobs 0": ([*probe, "--sizes", args.sizes, "--jobs", "0"], None),
        f"shapelint probe --sizes {smallest} (smallest size only)": ([*probe, "--sizes", smallest], None),
    }
    runs = interleaved(commands, args.repeat)
    base = median(t for t, _ in runs[next(iter(commands))])
    rows = [[name, f"{median(t for t, _ in s):.1f}", f"{median(t for t, _ in s) / base:.2f}×",
             f"{median(m for _, m in s):.0f}"] for name, s in runs.items()]
    print(f"keras:{args.model}, weights=None, sizes {args.sizes}, median of {args.repeat}")
    print(tabulate(rows, headers=["command", "seconds", "ratio", "peak RSS MiB"], tablefmt="github"))
    ratio = median(t for t, _ in runs[f"shapelint probe --sizes {args.sizes}"]) / base
    print(f"\nshapelint / hand-written loop = {ratio:.2f}× (target ≤ {TARGET}×): {'met' if ratio <= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
