"""What a model build may take from the host: architecture arguments only, and caches that are empty and private.

timm, torchvision, transformers and keras_hub accept arguments that name files, URLs and caches
(timm's checkpoint_path, a detection builder's weights_backbone, a config's model_args), and read
their own caches (TORCH_HOME, HF_HOME, KAGGLEHUB_CACHE) for anything pretrained. shapelint builds
architectures only, so an argument is taken only if it is one: its name says nothing of weights,
files or downloads and its value is a number, a flag or a plain word; and every build runs with
empty private caches, offline. Nothing here imports a framework.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
from contextlib import contextmanager

# Argument names that load, download or point somewhere: never an architecture's.
FETCHING = re.compile(r"pretrained|checkpoint|weights|download|remote_code|auto_map|(^|_)(path|paths|file|files|filename|"
                      r"url|uri|dir|directory|folder|cache_dir|hub|repo|repo_id|revision|token|auth|home|root|"
                      r"location|origin|handle)$", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z0-9_.+\-]*")
HOST = re.compile(r"^(/|~|\\\\|file:|[A-Za-z]:[\\/])|://|(^|[\\/])\.\.([\\/]|$)")
# Config keys that are metadata for a build without weights: kept, their strings still checked for host paths.
METADATA = frozenset({"_name_or_path", "pretrained_cfg", "name_or_path"})
# Switches a build without weights turns off, whatever the config says.
OFF = frozenset({"use_pretrained_backbone"})


def option_refusals(options: dict) -> list[str]:
    """Why query options are not architecture arguments, e.g. ["checkpoint_path='/etc/passwd' names a file ..."]."""
    found = []
    for key, value in options.items():
        if FETCHING.search(key) and value not in (None, False, "", "none", "None"):
            found.append(f"{key}={value!r} is not an architecture argument (weights, files and downloads are never read)")
        elif not _plain(value):
            found.append(f"{key}={value!r} is not a number, flag or plain word")
    return found


def _plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(item) and not isinstance(item, (list, tuple)) for item in value)
    if isinstance(value, str):
        return bool(WORD.fullmatch(value)) and ".." not in value
    return value is None or isinstance(value, (bool, int, float))


def config_refusals(config, where: str = "") -> list[str]:
    """Why a Hugging Face config (a dict, nested dicts and lists) is not an architecture: a key that fetches
    with a value set, or a string that names a host path or URL."""
    found = []
    if isinstance(config, dict):
        for key, value in config.items():
            name = f"{where}.{key}" if where else str(key)
            if key in METADATA or key in OFF:
                found += _host_strings(value, name)
            elif FETCHING.search(str(key)) and value not in (None, False, "", [], {}):
                found.append(f"{name}={_short(value)} is not an architecture setting")
            else:
                found += config_refusals(value, name)
    elif isinstance(config, list):
        for index, item in enumerate(config):
            found += config_refusals(item, f"{where}[{index}]")
    elif isinstance(config, str) and HOST.search(config):
        found.append(f"{where}={config!r} names a host path or URL")
    return found


def _host_strings(value, where: str) -> list[str]:
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _host_strings(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [f for item in value for f in _host_strings(item, where)]
    return [f"{where}={value!r} names a host path or URL"] if isinstance(value, str) and HOST.search(value) else []


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


CACHE_VARIABLES = ("TORCH_HOME", "HF_HOME", "HF_HUB_CACHE", "HF_XET_CACHE", "TRANSFORMERS_CACHE", "KAGGLEHUB_CACHE",
                   "KAGGLE_CONFIG_DIR", "KERAS_HOME", "XDG_CACHE_HOME")
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", "DISABLE_KAGGLE_CACHE": "", "KAGGLE_USERNAME": None, "KAGGLE_KEY": None,
           "HF_TOKEN": None}


@contextmanager
def private_homes():
    """Every cache a framework reads points into a fresh empty folder, and the hubs are offline, for the build
    only: what was there before (the user's caches, the source resolution that used them) is restored after."""
    saved = {name: os.environ.get(name) for name in (*CACHE_VARIABLES, *OFFLINE)}
    patched = []
    if "huggingface_hub" not in sys.modules and importlib.util.find_spec("huggingface_hub") is not None:
        import huggingface_hub.constants  # noqa: F401  (its paths come from the user's env, then are patched below)
    with tempfile.TemporaryDirectory(prefix="shapelint-home-") as home:
        for name in CACHE_VARIABLES:
            os.environ[name] = os.path.join(home, name.lower())
        for name, value in OFFLINE.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for module, attribute, value in (("torch.hub", "_hub_dir", os.path.join(home, "torch_hub")),
                                         ("huggingface_hub.constants", "HF_HUB_CACHE", os.environ["HF_HUB_CACHE"]),
                                         ("huggingface_hub.constants", "HF_HOME", os.environ["HF_HOME"]),
                                         ("huggingface_hub.constants", "HF_HUB_OFFLINE", True)):
            if module in sys.modules and hasattr(sys.modules[module], attribute):
                patched.append((sys.modules[module], attribute, getattr(sys.modules[module], attribute)))
                setattr(sys.modules[module], attribute, value)
        try:
            yield home
        finally:
            for module, attribute, value in reversed(patched):
                setattr(module, attribute, value)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
