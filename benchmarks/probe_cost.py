"""What probing several sizes costs: `shapelint probe` against the loop a user writes by hand.

    python benchmarks/probe_cost.py [--model EfficientNetB3] [--sizes 224,320,512,768,1024] [--repeat 2]
    python benchmarks/probe_cost.py --phases     # where the time goes, phase by phase, in one process

Each side runs in its own process tree from a cold interpreter (TensorFlow import and model build
included on both sides), interleaved, so one run gives a fair ratio. Peak memory is the largest RSS of
any process in the tree. Target (issue 7): shapelint ≤ 0.4× the hand-written loop, and shapelint's
peak memory independent of the largest size (compare the "smallest size only" row). The two "floor"
rows are the hand-written script without its loop, and with one execution: what any tool that builds
the model must pay, so they bound the ratio shapelint can reach on this machine.
"""

from __future__ import annotations

import argparse
import sys

from _measure import interleaved, ratio_report, shapelint_command
from tabulate import tabulate

TARGET = 0.4
HAND_LOOP = """
import sys
import numpy as np
import keras

model = getattr(keras.applications, sys.argv[1])(include_top=False, weights=None, input_shape=(None, None, 3))
for size in map(int, filter(None, sys.argv[2].split(","))):
    model(np.zeros((1, size, size, 3), dtype="float32"), training=False)
"""

PHASES = """
import json, sys, time
start = time.perf_counter()
from shapelint.adapters.tensorflow.runtime import import_tensorflow
import_tensorflow()
import keras
import numpy as np
from shapelint.adapters.tensorflow.keras3 import backbone
phases = [["import TensorFlow + Keras", time.perf_counter() - start]]
start = time.perf_counter()
model = getattr(keras.applications, sys.argv[1])(include_top=False, weights=None, input_shape=(None, None, 3))
phases.append(["build the model", time.perf_counter() - start])
probe = backbone(model, sys.argv[1])
sizes = list(map(int, sys.argv[2].split(",")))
for how, fn in (("inferred (shapelint, every size)", probe.symbolic), ("executed (hand loop, every size)", probe.execute)):
    for size in sizes:
        start = time.perf_counter()
        fn((1, size, size, 3))
        phases.append([f"{size}: {how}", time.perf_counter() - start])
print(json.dumps(phases))
"""


def phases(model: str, sizes: str) -> None:
    """Where the time goes, in one process: what shapelint pays per size against what the loop pays."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-c", PHASES, model, sizes], capture_output=True, text=True, check=True)
    rows = [[name, f"{seconds:.3f}"] for name, seconds in json.loads(done.stdout)]
    print(tabulate(rows, headers=["phase (one process, in order)", "seconds"], tablefmt="github"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="EfficientNetB3")
    parser.add_argument("--sizes", default="224,320,512,768,1024")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--phases", action="store_true", help="only print where the time goes, phase by phase")
    args = parser.parse_args()
    if args.phases:
        return phases(args.model, args.sizes)
    quiet = {"TF_CPP_MIN_LOG_LEVEL": "3"}
    probe = [*shapelint_command(), "probe", f"keras:{args.model}", "--no-cache", "--quiet", "--format", "json"]
    smallest = args.sizes.split(",")[0]
    loop = [sys.executable, "-c", HAND_LOOP, args.model]
    commands = {
        "hand-written loop (model(np.zeros) per size)": ([*loop, args.sizes], quiet),
        "floor: import + build, nothing executed": ([*loop, ""], quiet),
        f"floor + one execution at {smallest}": ([*loop, smallest], quiet),
        f"shapelint probe --sizes {args.sizes}": ([*probe, "--sizes", args.sizes], None),
        f"shapelint probe --sizes {args.sizes} --jobs 0": ([*probe, "--sizes", args.sizes, "--jobs", "0"], None),
        f"shapelint probe --sizes {smallest} (smallest size only)": ([*probe, "--sizes", smallest], None),
    }
    runs = interleaved(commands, args.repeat)
    title = f"keras:{args.model}, weights=None, sizes {args.sizes}, median of {args.repeat}"
    print(ratio_report(title, runs, f"shapelint probe --sizes {args.sizes}", TARGET))


if __name__ == "__main__":
    main()
