"""tfcnn: reference answers to classic convolutional-network exercises, in Keras 3.

The model builders and `set_seed` are importable from here
(`from tfcnn import build_shallow`); they load Keras only when first used, so
`import tfcnn` (and a script's `--help`) stays fast.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "build_deep": "tfcnn.models",
    "build_reduced_deep": "tfcnn.models",
    "build_shallow": "tfcnn.models",
    "set_seed": "tfcnn.results",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tfcnn' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS])
