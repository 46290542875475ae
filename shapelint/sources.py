"""Parse SOURCE strings and --sizes into plain values. Nothing here imports a framework."""

from __future__ import annotations

import ast
import os
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from importlib import machinery
from pathlib import Path
from urllib.parse import parse_qsl

DEFAULT_SIZES = ((224, 224), (160, 160), (320, 320), (192, 256))
DEFAULT_MAX_SIZE = 4096
KERAS_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")
HUB_PREFIXES = ("https://tfhub.dev/", "https://www.kaggle.com/models/", "https://kaggle.com/models/")
TORCH_FILE_SUFFIXES = (".pt", ".pth", ".pt2")
# source kind -> the framework a worker imports for it; a factory's is read from its imports
FRAMEWORK_OF_KIND = {"timm": "torch", "torchvision": "torch", "hf": "torch", "torch-export": "torch",
                     "torchscript": "torch", "torch-pickle": "torch"}
TORCH_MODULES = ("torch", "torchvision", "timm", "transformers")
TF_MODULES = ("tensorflow", "keras", "tf_keras", "tensorflow_hub")


KAGGLE_PREFIXES = HUB_PREFIXES[1:]
KAGGLE_SCHEME = "kaggle://"
PRESET_FILES = ("config.json", "metadata.json")  # what makes a folder a KerasHub preset


class SourceError(ValueError):
    """A source or option the user gave cannot be used; the message is one line for the terminal."""


class FactoryError(SourceError):
    """A module:factory source raised while building its model; `cause` is the factory's own one-line error,
    `lines` {layer name: (file, line)} where the layers made before the failure were created ('' for the
    line of the user's code that raised)."""

    def __init__(self, message: str, cause: str, lines: dict | None = None):
        super().__init__(message)
        self.cause = cause
        self.lines = lines or {}


@dataclass(frozen=True)
class Source:
    """A resolved SOURCE: what kind it is, where it lives, and keyword overrides for keras: names."""

    text: str
    # "keras-app", "keras-file", "savedmodel", "hub", "factory"; torch: "timm", "torchvision", "hf",
    # "torch-export" (.pt2), "torchscript", "torch-pickle" (.pt/.pth written by torch.save);
    # "onnx"; KerasHub: "keras-hub" (keras_hub:CLASS), "kerashub-preset" (a preset folder)
    kind: str
    location: str
    options: dict = field(default_factory=dict, hash=False, compare=False)
    framework: str = "tensorflow"  # which adapters/<framework> loads it, so which worker runs it

    @property
    def path(self) -> Path | None:
        """The file or directory behind the source, for reports that point at a file."""
        if self.kind in ("keras-file", "savedmodel", "hub", "hf", "torch-export", "torchscript", "torch-pickle",
                         "onnx", "kerashub-preset"):
            return Path(self.location)
        if self.kind == "factory" and ".py" in self.location.split(":")[0]:
            return Path(self.location.rsplit(":", 1)[0])
        return None


def parse_source(text: str) -> Source:
    """Classify a SOURCE string; anything unusable is a SourceError whose message is one line."""
    text = text.strip()
    if not text:
        raise SourceError("empty source")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):  # a newline would split the one-line error
        raise SourceError(f"{shown(text)}: source contains a control character")
    try:
        return _classify(text)
    except OSError as exc:  # e.g. a name too long, or a folder we may not read
        raise SourceError(f"{shown(text)}: {exc.strerror or exc}") from None


def shown(text: str, limit: int = 120) -> str:
    """The source as an error message shows it: control characters escaped, long text shortened."""
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _classify(text: str) -> Source:
    if text.startswith("keras:"):
        name, _, query = text[len("keras:"):].partition("?")
        if not name:
            raise SourceError(f"{shown(text)}: missing application name after 'keras:'")
        return Source(text, "keras-app", name, _parse_options(text, query))
    for prefix in ("timm:", "torchvision:"):
        if text.startswith(prefix):
            name, _, query = text[len(prefix):].partition("?")
            if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
                raise SourceError(f"{shown(text)}: expected a model name after {prefix!r}, e.g. {prefix}resnet18")
            return Source(text, prefix[:-1], name, _parse_options(text, query), "torch")
    if text.startswith("hf:"):
        return Source(text, "hf", str(hf_model_dir(text)), {}, "torch")
    if text.startswith("keras_hub:"):
        name, _, query = text[len("keras_hub:"):].partition("?")
        if not name.isidentifier():
            raise SourceError(f"{shown(text)}: expected keras_hub:CLASS, e.g. keras_hub:ResNetBackbone?block_type=basic_block")
        return Source(text, "keras-hub", name, _parse_options(text, query))
    if text.startswith(HUB_PREFIXES):
        return Source(text, "hub", str(hub_module_dir(text)))
    if text.startswith(KAGGLE_SCHEME):
        return _folder(text, kaggle_model_dir(text))
    if "://" in text:
        raise SourceError(f"{shown(text)}: only TF Hub and Kaggle model handles are supported as URLs")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~user for a user that does not exist
        raise SourceError(f"{shown(text)}: cannot expand '~': no such user") from None
    if path.is_dir():
        return _folder(text, path)
    if path.suffix.lower() in KERAS_FILE_SUFFIXES + (".onnx",):
        if not path.is_file():
            raise SourceError(f"{shown(text)}: no such file")
        if path.suffix.lower() == ".onnx":  # ONNX needs no TensorFlow
            return Source(text, "onnx", str(path), {}, "onnx")
        return Source(text, "keras-file", str(path))
    if path.suffix.lower() in TORCH_FILE_SUFFIXES:
        if not path.is_file():
            raise SourceError(f"{shown(text)}: no such file")
        return Source(text, torch_file_kind(path, text), str(path), {}, "torch")
    if re.fullmatch(r"[^:]+:[A-Za-z_][A-Za-z0-9_.]*", text):
        module, _, attr = text.rpartition(":")
        if module.endswith(".py") and not Path(module).is_file():
            raise SourceError(f"{shown(text)}: no such file {module}")
        return Source(text, "factory", f"{module}:{attr}", {}, factory_framework(module))
    if path.exists():
        raise SourceError(f"{shown(text)}: not a .keras/.h5/.pt/.pt2/.onnx file, SavedModel or KerasHub preset directory")
    raise SourceError(
        f"{shown(text)}: no such file or directory (expected keras:NAME, keras_hub:CLASS, timm:NAME, torchvision:NAME, "
        "hf:PATH, a .keras/.h5/.pt/.pt2/.onnx file, a SavedModel or KerasHub preset dir, a TF Hub or kaggle:// handle, "
        "or module:factory)"
    )


def _folder(text: str, path: Path) -> Source:
    """A directory is a SavedModel (saved_model.pb) or a KerasHub preset (config.json and metadata.json)."""
    if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
        return Source(text, "savedmodel", str(path))
    if all((path / name).is_file() for name in PRESET_FILES):
        return Source(text, "kerashub-preset", str(path))
    raise SourceError(
        f"{shown(text)}: directory is not a SavedModel (no saved_model.pb) "
        "nor a KerasHub preset (no config.json and metadata.json)"
    )


def torch_file_kind(path: Path, text: str) -> str:
    """What a .pt/.pth/.pt2 file is, from its bytes (never its suffix): torch-export, torchscript or torch-pickle.

    All three are zip archives of one top folder; their entries tell them apart. A file that is not a
    zip but starts like a pickle is torch.save's legacy format. Anything else is refused here.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
        if not head:
            raise SourceError(f"{shown(text)}: empty file")
        if not zipfile.is_zipfile(path):
            if head[:1] == b"\x80":  # pickle protocol 2+: torch.save(..., _use_new_zipfile_serialization=False)
                return "torch-pickle"
            raise SourceError(f"{shown(text)}: not a PyTorch file (neither a zip archive nor a pickle)")
        with zipfile.ZipFile(path) as archive:
            names = {name.split("/", 1)[-1] for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceError(f"{shown(text)}: cannot read: {exc}") from None
    found = [kind for kind, marker in (("torch-export", "models/model.json"), ("torchscript", "constants.pkl"))
             if marker in names]
    if len(found) > 1:
        raise SourceError(f"{shown(text)}: ambiguous PyTorch archive (both {' and '.join(found)} entries)")
    if found:
        return found[0]
    if "data.pkl" in names:
        return "torch-pickle"
    raise SourceError(f"{shown(text)}: a zip archive, but not one torch.save, torch.jit.save or torch.export.save wrote")


def factory_file(module: str) -> Path | None:
    """The file a module:factory source runs, found without importing (importing would run its code)."""
    if module.endswith(".py"):
        return Path(module)
    path = None
    spec = None
    parts = module.split(".")
    for i in range(len(parts)):
        spec = machinery.PathFinder.find_spec(".".join(parts[: i + 1]), path)
        if spec is None:
            return None
        path = spec.submodule_search_locations
    return Path(spec.origin) if spec and spec.origin and spec.has_location else None


def factory_framework(module: str) -> str:
    """The framework a factory's module imports ("torch" or "tensorflow"), read from its source, not run.

    Every import counts, at the top or inside a function, and so do the imports of the project's own modules
    it imports (a models.py beside it that imports torch). A module that imports torch, torchvision, timm or
    transformers and no TensorFlow/Keras is a torch factory; anything else (TensorFlow, neither, both, or a
    file that cannot be read) keeps the TensorFlow path it always had.
    """
    try:
        file = factory_file(module)
    except (OSError, ValueError, ImportError):
        return "tensorflow"
    if file is None:
        return "tensorflow"
    roots = _imported_roots(file.resolve(), [str(file.resolve().parent), os.getcwd()], set())
    if roots is None:
        return "tensorflow"
    if not roots & {*TORCH_MODULES, *TF_MODULES}:  # a library in between (segmentation_models_pytorch): its own imports
        roots |= _library_roots(roots)
    return "torch" if roots & set(TORCH_MODULES) and not roots & set(TF_MODULES) else "tensorflow"


def _library_roots(names: set[str]) -> set[str]:
    """What the installed libraries among `names` import at their top (their __init__.py), found without
    importing them."""
    found = set()
    for name in sorted(names - set(sys.stdlib_module_names)):
        try:
            file = factory_file(name)
        except (ImportError, ValueError):
            continue
        if file is not None and file.suffix == ".py":
            found |= _imported_roots(file, [], set(), depth=3) or set()
    return found


def _imported_roots(file: Path, search: list[str], seen: set, depth: int = 0) -> set[str] | None:
    """The top-level names of every module `file` imports, and those its project-local imports import (up to
    three files deep); None when `file` cannot be read."""
    seen.add(file)
    try:
        tree = ast.parse(file.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    roots, names = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = [] if not node.level else list(file.parent.parts[: len(file.parent.parts) - node.level + 1])
            module = ".".join(part for part in (node.module or "",) if part)
            found = [module] + [f"{module}.{alias.name}" if module else alias.name for alias in node.names]
            if node.level:  # relative: resolved against the file's own package, never a library
                for name in found:
                    local = _local_file(name, [str(Path(*base))]) if base else None
                    if local is not None and local not in seen and depth < 3:
                        roots |= _imported_roots(local, search, seen, depth + 1) or set()
                continue
            names += [module] if module else []
            names += found[1:]
    for name in names:
        roots.add(name.split(".")[0])
        local = _local_file(name, search)
        if local is not None and local not in seen and depth < 3:
            roots |= _imported_roots(local, search, seen, depth + 1) or set()
    return roots


def _local_file(name: str, search: list[str]) -> Path | None:
    """The project's own file for a dotted module name (a package's __init__.py), searched only in `search`."""
    parts = [part for part in name.split(".") if part]
    for folder in search:
        if not parts:
            break
        path = Path(folder, *parts)
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate.resolve()
    return None


def _parse_options(text: str, query: str) -> dict:
    options = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if not key.isidentifier():
            raise SourceError(f"{shown(text)}: bad option name {shown(key)!r}")
        options[key] = _literal(value)
    return options


def _literal(value: str):
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    if value.startswith("[") and value.endswith("]"):  # stackwise_num_filters=[64,128]: a list, even of one
        return [_literal(part.strip()) for part in value[1:-1].split(",") if part.strip()]
    if "," in value:
        return tuple(_literal(part) for part in value.split(","))
    return value


def hub_cache_dir() -> Path:
    """Where tensorflow_hub keeps downloaded modules (TFHUB_CACHE_DIR, else <tmp>/tfhub_modules)."""
    import tempfile  # here, not at the top: every command imports this module, few resolve a handle

    return Path(os.environ.get("TFHUB_CACHE_DIR") or Path(tempfile.gettempdir()) / "tfhub_modules")


def hub_module_dir(handle: str) -> Path:
    """Resolve a TF Hub handle offline, exactly where tensorflow_hub would have cached it."""
    try:
        import hashlib

        digest = hashlib.sha1(handle.encode("utf8")).hexdigest()
    except UnicodeEncodeError:  # undecodable bytes on the command line
        raise SourceError(f"{shown(handle)}: not a valid TF Hub handle") from None
    folder = hub_cache_dir() / digest
    if (folder / "saved_model.pb").is_file():
        return folder
    try:
        parts = _kaggle_parts(handle, handle.split("/models/", 1)[1]) if handle.startswith(KAGGLE_PREFIXES) else None
    except SourceError:  # not the OWNER/MODEL/FRAMEWORK/VARIATION/VERSION form: only TF Hub's cache can have it
        parts = None
    if parts is None:
        raise SourceError(
            f"{shown(handle)}: not in the TF Hub cache; place the unpacked module at {folder} "
            f"(TFHUB_CACHE_DIR={hub_cache_dir()}, folder = sha1 of the handle)"
        )
    kaggle = _kaggle_version_dir(parts)
    if kaggle is not None and (kaggle / "saved_model.pb").is_file():
        return kaggle
    raise SourceError(
        f"{shown(handle)}: in neither cache; place the unpacked SavedModel in the TF Hub cache at {folder} "
        f"(TFHUB_CACHE_DIR, folder = sha1 of the handle) or in the kagglehub cache at {kaggle_cache_dir()}/models/"
        f"{'/'.join(parts[:4])}/{parts[4] if len(parts) > 4 else 'VERSION'} (KAGGLEHUB_CACHE)"
    )


def kaggle_cache_dir() -> Path:
    """Where kagglehub keeps downloads: KAGGLEHUB_CACHE, else ~/.cache/kagglehub (kagglehub/config.py)."""
    return Path(os.environ.get("KAGGLEHUB_CACHE") or Path.home() / ".cache" / "kagglehub")


def kaggle_model_dir(handle: str) -> Path:
    """kaggle://OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION] -> its folder in the kagglehub cache, offline.

    kagglehub (cache.py) keeps a model version at models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION and
    writes VERSION.complete beside it when the download finished; without a version the newest complete
    one is taken.
    """
    parts = _kaggle_parts(handle, handle[len(KAGGLE_SCHEME):])
    folder = _kaggle_version_dir(parts)
    if folder is None:
        version = parts[4] if len(parts) > 4 else "VERSION"
        raise SourceError(
            f"{shown(handle)}: not in the kagglehub cache; place the downloaded model at "
            f"{kaggle_cache_dir()}/models/{'/'.join(parts[:4])}/{version} (KAGGLEHUB_CACHE; shapelint never downloads)"
        )
    return folder


def hf_cache_dir() -> Path:
    """Where huggingface_hub keeps downloaded models: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return Path(home).expanduser() / "hub"


def hf_model_dir(text: str) -> Path:
    """hf:PATH (a folder with config.json) or hf:ORG/NAME, resolved offline from the Hugging Face cache."""
    name = text[len("hf:"):]
    if not name:
        raise SourceError(f"{shown(text)}: expected a folder or ORG/NAME after 'hf:'")
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise SourceError(f"{shown(text)}: folder has no config.json (not a Hugging Face model folder)")
        return folder
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)?", name) or ".." in name:
        raise SourceError(f"{shown(text)}: no such folder, and not a Hugging Face ORG/NAME")
    repo = hf_cache_dir() / ("models--" + name.replace("/", "--"))
    snapshot = None
    ref = repo / "refs" / "main"
    if ref.is_file():
        from .contained import Outside, inside, read_inside  # the ref is read inside the repo folder, no symlink out

        try:
            snapshot = inside(repo, f"snapshots/{read_inside(repo, 'refs/main', 256).decode('ascii').strip()}")
        except (Outside, UnicodeDecodeError):
            snapshot = None
    elif (repo / "snapshots").is_dir():
        snapshots = sorted((repo / "snapshots").iterdir(), key=lambda p: p.stat().st_mtime)
        snapshot = snapshots[-1] if snapshots else None
    if snapshot is None or not (snapshot / "config.json").is_file():
        raise SourceError(
            f"{shown(text)}: not in the Hugging Face cache; shapelint never downloads: place the model "
            f"(at least config.json) at {repo}/snapshots/<revision>/ or pass hf:PATH to a folder"
        )
    return snapshot


def _kaggle_parts(handle: str, path: str) -> list[str]:
    parts = [part for part in path.strip("/").split("/") if part]
    if len(parts) not in (4, 5) or any(part in (".", "..") for part in parts) or (len(parts) == 5 and not parts[4].isdigit()):
        raise SourceError(f"{shown(handle)}: expected a Kaggle model handle OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION]")
    return parts


def _kaggle_version_dir(parts: list[str]) -> Path | None:
    variation = kaggle_cache_dir() / "models" / Path(*parts[:4])
    if len(parts) == 5:
        versions = [parts[4]]
    else:
        markers = variation.glob("*.complete") if variation.is_dir() else []
        versions = sorted((m.name[: -len(".complete")] for m in markers if m.name[: -len(".complete")].isdigit()),
                          key=int, reverse=True)
    for version in versions:
        if (variation / version).is_dir() and (variation / f"{version}.complete").exists():
            return variation / version
    return None


def parse_sizes(text: str, max_size: int = DEFAULT_MAX_SIZE) -> tuple[tuple[int, int], ...]:
    """'224,160,96x128' -> ((224, 224), (160, 160), (96, 128)); HxW, height first."""
    if max_size < 1:
        raise SourceError(f"--max-size must be at least 1, got {max_size}")
    sizes = []
    for part in str(text).split(","):
        part = part.strip().lower().replace("×", "x")
        match = re.fullmatch(r"([+-]?[0-9]+)(?:x([+-]?[0-9]+))?", part)  # ASCII digits only, no '２２４'
        if not match:
            raise SourceError(f"bad size {shown(part)!r}: expected N or HxW, e.g. 224 or 96x128")
        if max(len(n.lstrip("+-0")) for n in match.groups() if n) > len(str(max_size)):
            raise SourceError(f"size {shown(part)!r} is larger than --max-size {max_size}")  # before int(): 10**5000
        h = int(match.group(1))
        w = int(match.group(2)) if match.group(2) else h
        if h <= 0 or w <= 0:
            raise SourceError(f"bad size {part!r}: height and width must be positive")
        if h > max_size or w > max_size:
            raise SourceError(f"size {part!r} is larger than --max-size {max_size}")
        if (h, w) not in sizes:
            sizes.append((h, w))
    return tuple(sizes)


def format_size(size: tuple[int, int]) -> str:
    h, w = size
    return str(h) if h == w else f"{h}x{w}"
