"""tfcnn: reference answers to classic convolutional-network exercises, in Keras 3."""

__version__ = "0.1.0"

from tfcnn.models import build_deep, build_reduced_deep, build_shallow  # noqa: E402
from tfcnn.results import set_seed  # noqa: E402

__all__ = ["build_deep", "build_reduced_deep", "build_shallow", "set_seed"]
