"""What probing an ONNX backbone costs: `shapelint probe` against the onnxruntime loop a user writes, and,
per size, onnx.shape_inference against one onnxruntime batch (why shapelint executes every small size).

    python benchmarks/onnx_probe_cost.py [--model model.onnx] [--sizes 224,320,512] [--repeat 3]

Without --model, a torchvision ResNet-18 without avgpool/fc (random weights) is exported with dynamic
axes into a temporary folder (torch runs in its own process). Each command runs from a cold interpreter,
interleaved, so one run gives a fair ratio; the per-size phases are measured in this process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import interleaved, median, shapelint_command
from tabulate import tabulate

EXPORT = """
import sys, warnings
import torch, torchvision
warnings.simplefilter("ignore")
net = torch.nn.Sequential(*list(torchvision.models.resnet18(weights=None).children())[:-2]).eval()
torch.onnx.export(net, (torch.zeros(1, 3, 224, 224),), sys.argv[1], dynamo=False, input_names=["pixels"],
                  output_names=["features"], dynamic_axes={"pixels": {0: "n", 2: "h", 3: "w"}, "features": {0: "n"}})
"""
HAND_LOOP = """
import sys
import numpy as np
import onnxruntime as ort
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
for size in map(int, filter(None, sys.argv[2].split(","))):
    session.run(None, {name: np.zeros((1, 3, size, size), np.float32)})
"""


def phases(model_path: str, sizes: list[int], repeat: int) -> list[list]:
    """Per size: onnx.shape_inference with the input pinned, on the weightless copy shapelint infers on (what
    'inferred' costs), and one onnxruntime batch."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    from shapelint.adapters.onnx.load import weightless

    model = weightless(onnx.load(model_path, load_external_data=False))
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    rows = []
    for size in sizes:
        pinned = onnx.ModelProto()
        pinned.CopyFrom(model)
        for dim, value in zip(pinned.graph.input[0].type.tensor_type.shape.dim, (1, 3, size, size)):
            dim.Clear()
            dim.dim_value = value
        infer, run = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            onnx.shape_inference.infer_shapes(pinned, strict_mode=True, data_prop=True)
            infer.append(time.perf_counter() - start)
            start = time.perf_counter()
            session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, size, size), np.float32)})
            run.append(time.perf_counter() - start)
        i, r = statistics.median(infer) * 1000, statistics.median(run) * 1000
        rows.append([size, f"{i:.1f}", f"{r:.1f}", f"{r / i:.1f}×"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--sizes", default="224,320,512")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        model = args.model or str(Path(folder) / "resnet18_features.onnx")
        if not args.model:
            subprocess.run([sys.executable, "-c", EXPORT, model], check=True)
        sizes = [int(s) for s in args.sizes.split(",")]
        probe = [*shapelint_command(), "probe", model, "--no-cache", "--quiet", "--format", "json"]
        loop = [sys.executable, "-c", HAND_LOOP, model]
        smallest = str(sizes[0])
        commands = {
            "hand-written loop (session.run on zeros per size)": ([*loop, args.sizes], None),
            "floor: import onnxruntime + session, nothing run": ([*loop, ""], None),
            f"shapelint probe --sizes {args.sizes} (each size executed)": ([*probe, "--sizes", args.sizes], None),
            f"shapelint probe --sizes {smallest}": ([*probe, "--sizes", smallest], None),
        }
        runs = interleaved(commands, args.repeat)
        base = next(iter(runs.values()))
        wall = median(r[0] for r in base)
        rows = [[name, f"{median(r[0] for r in s):.2f}", f"{median(r[0] for r in s) / wall:.2f}×",
                 f"{median(r[2] for r in s):.0f}"] for name, s in runs.items()]
        print(f"{Path(model).name}, sizes {args.sizes}, median of {args.repeat}")
        print(tabulate(rows, headers=["command", "wall s", "wall ratio", "peak RSS MiB"], tablefmt="github"))
        print("\nper size, in one process (median of", args.repeat, "):")
        print(tabulate(phases(model, sizes, args.repeat),
                       headers=["size", "shape_inference ms", "onnxruntime batch ms", "run / infer"], tablefmt="github"))


if __name__ == "__main__":
    main()
