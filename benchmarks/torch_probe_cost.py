"""What probing five sizes of a PyTorch backbone costs: `shapelint probe` against the loop a user writes.

    python benchmarks/torch_probe_cost.py [--model "efficientnet_b3?num_classes=0&global_pool="]
                                          [--sizes 224,416,608,800,1024] [--repeat 2]

Each side runs in its own process tree from a cold interpreter (torch + timm import and model build
included on both sides), interleaved, so one run gives a fair ratio. Peak memory is the largest RSS of
any process in the tree. Target (issue 12): shapelint ≤ 0.25× the hand-written loop's wall time, and
its peak memory flat in the size (compare the "smallest size only" row). shapelint shapes every size
on the meta device and executes one real batch, at the smallest size.
"""

from __future__ import annotations

import argparse
import sys

from _measure import interleaved, ratio_report, shapelint_command

TARGET = 0.25
HAND_LOOP = """
import sys
from urllib.parse import parse_qsl
import torch
import timm

name, _, query = sys.argv[1].partition("?")
options = {k: int(v) if v.isdigit() else v for k, v in parse_qsl(query, keep_blank_values=True)}
model = timm.create_model(name, pretrained=False, **options).eval()
with torch.no_grad():
    for size in map(int, filter(None, sys.argv[2].split(","))):
        model(torch.zeros(1, 3, size, size))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_b3?num_classes=0&global_pool=")
    parser.add_argument("--sizes", default="224,416,608,800,1024")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    probe = [*shapelint_command(), "probe", f"timm:{args.model}", "--no-cache", "--quiet", "--format", "json"]
    smallest = args.sizes.split(",")[0]
    loop = [sys.executable, "-c", HAND_LOOP, args.model]
    commands = {
        "hand-written loop (model(torch.zeros) per size)": ([*loop, args.sizes], None),
        "floor: import + build, nothing executed": ([*loop, ""], None),
        f"floor + one execution at {smallest}": ([*loop, smallest], None),
        f"shapelint probe --sizes {args.sizes}": ([*probe, "--sizes", args.sizes], None),
        f"shapelint probe --sizes {smallest} (smallest size only)": ([*probe, "--sizes", smallest], None),
    }
    runs = interleaved(commands, args.repeat)
    title = f"timm:{args.model}, pretrained=False, sizes {args.sizes}, median of {args.repeat}"
    print(ratio_report(title, runs, f"shapelint probe --sizes {args.sizes}", TARGET))


if __name__ == "__main__":
    main()
