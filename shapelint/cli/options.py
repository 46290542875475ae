"""Option groups shared by the commands, so every command spells them the same way.

sizes_option, format_option, load_options (what may run while loading), run_options (how sources are
scheduled). Where output goes and what exit code it earns is output.py's output_options.
"""

from __future__ import annotations

import functools
import sys

import click

from ..sources import DEFAULT_MAX_SIZE, DEFAULT_SIZES, SourceError, format_size, parse_sizes

# formatters.FORMATTERS by name, spelled out so that --help imports neither tabulate nor the rule registry
# (tests/test_formatters.py checks that they agree)
FORMATS = ["table", "json", "sarif", "github"]


# Every kind of SOURCE, for the --help of the commands that take them (\b keeps click from rewrapping it).
SOURCES_HELP = """\b
SOURCE is one of:
  keras:MobileNetV2?alpha=0.35      a keras.applications architecture (weights=None)
  model.keras, model.h5             a saved Keras model
  path/to/saved_model               a SavedModel directory (TF Hub format, Keras export)
  https://tfhub.dev/...             a TF Hub handle, from the TF Hub cache (no download)
  pkg.module:factory, file.py:fn    Python code that returns a model (Keras, tf_keras, Hub, nn.Module):
                                    imported and run as code; the working directory is importable
  timm:resnet50?num_classes=0       a timm model, random weights (shapelint[torch])
  torchvision:resnet18              a torchvision model, random weights (shapelint[torch])
  hf:ORG/NAME, hf:path/             a Hugging Face model from its config.json (shapelint[torch])
  model.pt2, model.pt               a torch.export archive; a TorchScript or torch.save file (shapelint[torch])
  model.onnx                        an ONNX file (shapelint[onnx])
  keras_hub:ResNetBackbone?kw=v     a KerasHub backbone class built from arguments (shapelint[kerashub])
  path/to/preset, kaggle://O/M/F/V  a KerasHub preset folder, or one in the kagglehub cache (no download)"""


def sources_help(f):
    """Put SOURCES_HELP where the command's docstring says {sources}."""
    f.__doc__ = f.__doc__.replace("{sources}", SOURCES_HELP.replace("\n", "\n    "))
    return f


def sizes_option(f):
    default = ",".join(format_size(s) for s in DEFAULT_SIZES)
    f = click.option("--max-size", type=int, default=DEFAULT_MAX_SIZE, show_default=True,
                     help="Refuse input sizes larger than this.")(f)
    return click.option("--sizes", default=default, show_default=True,
                        help="Input sizes to probe: N for N×N, HxW for height×width, comma-separated.")(f)


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(f)


def load_options(f):
    f = click.option("--trust", is_flag=True,
                     help="Load and run SavedModels that hold ops outside the allowlist of pure computation (see SL105), "
                          "and TorchScript files whose code calls what the allowlist does not hold.")(f)
    return click.option("--unsafe-load", is_flag=True,
                        help="Allow model files to run code while loading (Lambda layers).")(f)


def load_settings(options: dict) -> dict:
    """The Options fields load_options sets, read from a command's keyword arguments."""
    return {"unsafe_load": options.get("unsafe_load", False), "trust": options.get("trust", False)}


def run_options(f):
    """--jobs, --timeout, --memory-limit, --no-cache, --quiet: how sources run, never what they report.

    The command runs inside runner.scheduled(...), so every run_sources call it makes (probe, check) uses
    these settings; Ctrl-C becomes one line on stderr and exit 130 once every worker is gone.
    """

    @functools.wraps(f)
    def command(*args, jobs, timeout, memory_limit, no_cache, quiet, no_sandbox, **kwargs):
        from ..engine.runner import Schedule, scheduled

        schedule = Schedule(jobs=jobs, timeout=timeout, memory_limit_gib=memory_limit or None,
                            refresh=no_cache, progress=not quiet and sys.stderr.isatty(), sandbox=not no_sandbox)
        try:
            with scheduled(schedule):
                return f(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("shapelint: interrupted; every worker stopped", err=True)
            sys.exit(130)

    # the defaults are runner.DEFAULT_TIMEOUT and DEFAULT_MEMORY_LIMIT_GIB, spelled out so that --help does not
    # import the scheduler (tests/test_runner.py checks that they agree)
    for option in reversed([
        click.option("-j", "--jobs", type=click.IntRange(0), default=None,
                     help="Worker processes [default: one per core, capped by memory]; 0 runs in this process "
                          "(no isolation, no timeout)."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True,
                     help="Seconds a source may take (after its worker imported its framework: TensorFlow, torch or "
                          "onnxruntime) before it is an error."),
        click.option("--memory-limit", type=click.FloatRange(min=0), default=8.0, show_default=True,
                     help="GiB of address space per worker (0: no cap); past it a source fails, not the machine."),
        click.option("--no-cache", is_flag=True,
                     help="Probe every source again and overwrite its cached result ('shapelint cache' shows them)."),
        click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr."),
        click.option("--no-sandbox", is_flag=True,
                     help="Do not confine the workers (Linux Landlock: read only the sources and Python, write only "
                          "their own temporary folder, no network); the allowlists still apply."),
    ]):
        command = option(command)
    return command


NOTHING_TO_CHECK = 3  # no SOURCE given and none listed: distinct from 0 (clean) and 2 (a source failed)


class NothingToCheck(click.ClickException):
    """No SOURCE on the command line and none in [tool.shapelint]: exit 3, so CI does not read it as a pass."""

    exit_code = NOTHING_TO_CHECK

    def __init__(self, command: str):
        super().__init__(f"nothing to check: no SOURCE given, and no [tool.shapelint] sources in a pyproject.toml "
                         f"here or above; give one (e.g. shapelint {command} keras:MobileNetV2) or list them under "
                         "[tool.shapelint] sources = [...] (exit 3)")

    def show(self, file=None) -> None:
        click.echo(f"shapelint: {self.format_message()}", err=True)


class CommandError(click.ClickException):
    """A bad option value, config file or output path: one line on stderr, exit 2 (click's BadParameter
    would add the usage and a hint)."""

    exit_code = 2


def read_sizes(text: str, max_size: int):
    if max_size < 1:
        raise CommandError(f"--max-size must be at least 1, got {max_size}")
    try:
        return parse_sizes(text, max_size)
    except SourceError as exc:
        raise CommandError(f"--sizes: {exc}") from None
