"""shapelint: probe pretrained backbones and lint classification heads, with evidence."""

__version__ = "0.1.0"
