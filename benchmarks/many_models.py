"""Many sources in one call: 12 keras.applications backbones, cold vs warm cache, 1 vs 2 workers.

    python benchmarks/many_models.py [--repeat 1] [--jobs 1,2]

Every configuration runs `shapelint probe` on the same 12 sources from a cold interpreter. "cold"
starts from an empty cache directory (every source is built and probed); "warm" runs again on the
cache the cold run left (nothing changed, so nothing is probed and TensorFlow is never imported).
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from _measure import measure, median, shapelint_command
from tabulate import tabulate

BACKBONES = ("MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "EfficientNetB0", "EfficientNetV2B0",
             "ResNet50", "ResNet50V2", "DenseNet121", "InceptionV3", "Xception", "VGG16", "ConvNeXtTiny")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", default="1,2")
    args = parser.parse_args()
    command = [*shapelint_command(), "probe", *(f"keras:{name}" for name in BACKBONES), "--quiet", "--format", "json"]
    samples: dict[str, list[tuple]] = {}
    for _ in range(args.repeat):
        for jobs in args.jobs.split(","):
            with tempfile.TemporaryDirectory() as cache:
                env = {"SHAPELINT_CACHE_DIR": cache}
                for state in ("cold", "warm"):
                    name = f"{state} cache, --jobs {jobs}"
                    samples.setdefault(name, []).append(measure([*command, "--jobs", jobs], env))
                    print(f"  {name}: {samples[name][-1][0]:.2f} s", file=sys.stderr)
    first = median(r[0] for r in next(iter(samples.values())))
    rows = [[name, f"{median(r[0] for r in s):.2f}", f"{median(r[0] for r in s) / first:.3f}×",
             f"{median(r[1] for r in s):.1f}", f"{median(r[2] for r in s):.0f}"] for name, s in samples.items()]
    print(f"{len(BACKBONES)} keras.applications backbones (weights=None), default sizes, median of {args.repeat}")
    print(tabulate(rows, headers=["configuration", "wall s", "wall ratio", "CPU s", "peak RSS MiB (largest process)"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
