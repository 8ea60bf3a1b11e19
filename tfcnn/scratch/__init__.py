"""A CNN written from scratch in NumPy, with hand-written back-propagation (set D).

No automatic differentiation is used anywhere in the network: every layer's
`backward` is derived by hand (see the set D page). `tfcnn.scratch.gradcheck`
checks them by finite differences; `tfcnn.scratch.keras_twin` builds the same
network in Keras, only to compare against it.
"""

from tfcnn.scratch.layers import (
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    SoftmaxCrossEntropy,
    softmax,
)
from tfcnn.scratch.network import BOTTLENECK, Network, build_network
from tfcnn.scratch.optimizers import (
    OPTIMIZERS,
    SGD,
    SHEET_SETTINGS,
    Momentum,
    Optimizer,
    RMSProp,
    make_optimizer,
)
from tfcnn.scratch.train import evaluate, one_hot, train

__all__ = [
    "BOTTLENECK",
    "OPTIMIZERS",
    "SGD",
    "SHEET_SETTINGS",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "Momentum",
    "Network",
    "Optimizer",
    "RMSProp",
    "ReLU",
    "SoftmaxCrossEntropy",
    "build_network",
    "evaluate",
    "make_optimizer",
    "one_hot",
    "softmax",
    "train",
]
