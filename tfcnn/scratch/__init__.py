"""A CNN written from scratch in NumPy, with hand-written back-propagation (set D).

No automatic differentiation is used anywhere in the network: every layer's
`backward` is derived by hand (see the set D page). `tfcnn.scratch.gradcheck`
checks them by finite differences; `tfcnn.scratch.keras_twin` builds the same
network in Keras, only to compare against it. The layer base class, the loss
and `softmax` are in `tfcnn.scratch.layers`.
"""

from tfcnn.scratch.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from tfcnn.scratch.network import BOTTLENECK, Network, build_network
from tfcnn.scratch.optimizers import OPTIMIZERS, SGD, Momentum, RMSProp, make_optimizer
from tfcnn.scratch.train import ORDERS, evaluate, one_hot, train

__all__ = [
    "BOTTLENECK",
    "OPTIMIZERS",
    "ORDERS",
    "SGD",
    "Conv2D",
    "Dense",
    "Flatten",
    "MaxPool2D",
    "Momentum",
    "Network",
    "RMSProp",
    "ReLU",
    "build_network",
    "evaluate",
    "make_optimizer",
    "one_hot",
    "train",
]
