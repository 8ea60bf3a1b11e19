"""Gradient-descent variants for the NumPy network, behind one interface.

`optimizer.step(params, grads)` updates every array of `params` in place from
the aligned `grads`; per-parameter state (velocities, squared-gradient
averages) is created at the first step. With θ a weight, g its gradient and η
the learning rate:

- SGD:       θ ← θ - η g
- Momentum:  v ← α v - η g;   θ ← θ + v            (v starts at 0)
- RMSProp:   s ← ρ s + (1-ρ) g²;   θ ← θ - η g / sqrt(s + ε)   (s starts at 0)

These are the update rules of Keras' `SGD(momentum=α)` and
`RMSprop(rho=ρ, epsilon=ε)` (ε inside the square root), so the two can be
compared step for step.
"""

from __future__ import annotations

import numpy as np


class Optimizer:
    """The shared interface: a learning rate and an in-place `step`.

    Args:
        learning_rate: η > 0.
    """

    def __init__(self, learning_rate: float):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}.")
        self.learning_rate = float(learning_rate)
        self.state: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Updates each array of `params` in place from the aligned `grads`."""
        if len(params) != len(grads):
            raise ValueError(
                f"got {len(params)} parameters but {len(grads)} gradients."
            )
        if self.state is None:
            self.state = [np.zeros_like(p) for p in params]
        for param, grad, state in zip(params, grads, self.state, strict=True):
            self._update(param, grad, state)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: np.ndarray) -> None:
        raise NotImplementedError

    def describe(self) -> dict:
        """The name and hyper-parameters, for result files."""
        return {"name": NAMES[type(self)], "learning_rate": self.learning_rate}


class SGD(Optimizer):
    """Vanilla (mini-batch) stochastic gradient descent: θ ← θ - η g."""

    def _update(self, param, grad, state):
        param -= self.learning_rate * grad


class Momentum(Optimizer):
    """Heavy-ball momentum: v ← α v - η g, θ ← θ + v.

    Args:
        learning_rate: η > 0.
        alpha: α in [0, 1). Defaults to 0.9.
    """

    def __init__(self, learning_rate: float, alpha: float = 0.9):
        super().__init__(learning_rate)
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"alpha must be in [0, 1), got {alpha}.")
        self.alpha = float(alpha)

    def _update(self, param, grad, velocity):
        velocity *= self.alpha
        velocity -= self.learning_rate * grad
        param += velocity

    def describe(self) -> dict:
        return {**super().describe(), "alpha": self.alpha}


class RMSProp(Optimizer):
    """RMSProp: s ← ρ s + (1-ρ) g², θ ← θ - η g / sqrt(s + ε).

    Args:
        learning_rate: η > 0.
        rho: ρ in [0, 1). Defaults to 0.9.
        epsilon: ε > 0, keeps the division finite. Defaults to 1e-7 (Keras').
    """

    def __init__(self, learning_rate: float, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"rho must be in [0, 1), got {rho}.")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}.")
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _update(self, param, grad, mean_square):
        mean_square *= self.rho
        mean_square += (1.0 - self.rho) * grad * grad
        param -= self.learning_rate * grad / np.sqrt(mean_square + self.epsilon)

    def describe(self) -> dict:
        return {**super().describe(), "rho": self.rho, "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp}
NAMES = {cls: name for name, cls in OPTIMIZERS.items()}


def make_optimizer(name: str, learning_rate: float, **hyper) -> Optimizer:
    """An optimiser by name, e.g. `make_optimizer("momentum", 0.001, alpha=0.9)`.

    Args:
        name: "sgd", "momentum" or "rmsprop".
        learning_rate: η > 0.
        **hyper: the optimiser's other settings (`alpha`, `rho`, `epsilon`);
            those not given keep the class defaults.
    """
    if name not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}."
        )
    return OPTIMIZERS[name](learning_rate, **hyper)
