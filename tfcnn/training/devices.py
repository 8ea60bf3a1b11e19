"""Devices and threads: CPU thread limits on any backend, and `tf.distribute`.

`set_threads` caps the CPU threads of the active Keras backend.

The training scripts take `--distribute {none,mirrored}` (added by
`add_distribute_argument`) and call `use_strategy(args.distribute)` before
they build anything. With "none" nothing changes: TensorFlow runs on one
device, a GPU when one is present. With "mirrored" a
`tf.distribute.MirroredStrategy` becomes the default strategy of the
process: every model and optimiser built afterwards keeps one copy of its
variables per device, and every `fit` splits each batch across the devices
and sums the gradients, so the same script, unchanged, trains on all the GPUs
of a machine (or on all logical CPU devices when there is no GPU). The global
batch size stays what the script says; each device gets an equal share.

On a machine with one CPU, `split_cpu(2)` (called before TensorFlow starts)
makes two logical CPU devices, which is how the tests check that a mirrored
fit gives the weights of an ordinary one.

Keras (3.15) cannot run several steps per call (`steps_per_execution` > 1)
under a strategy with more than one replica (keras-team/keras#19246), so
`steps_per_execution_for` returns 1 there.
"""

from __future__ import annotations

import argparse
import contextlib

import keras
import tensorflow as tf

CHOICES = ("none", "mirrored")


def set_threads(threads: int) -> None:
    """Caps the CPU threads of the active Keras backend (call before any training).

    Args:
        threads: threads for intra- and inter-op parallelism; 0 keeps the
            backend's default (all cores).
    """
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0: all cores), got {threads}.")
    if not threads:
        return
    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
    else:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def split_cpu(devices: int = 2) -> list:
    """Splits the physical CPU into `devices` logical CPU devices.

    Must run before TensorFlow initialises its devices (before any op or
    model is created in the process).

    Args:
        devices: logical devices, >= 1. Defaults to 2.

    Returns:
        The logical CPU devices.
    """
    if devices < 1:
        raise ValueError(f"devices must be >= 1, got {devices}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices
        )
    except RuntimeError as error:
        raise RuntimeError(
            "split_cpu must be called before TensorFlow initialises its devices: "
            "call it first thing in the process (before building any model)."
        ) from error
    return tf.config.list_logical_devices("CPU")


def mirrored_devices() -> list[str]:
    """The devices a mirrored strategy uses: every GPU, else every logical CPU."""
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]


def strategy(name: str = "none") -> tf.distribute.Strategy:
    """The distribution strategy called `name`.

    Args:
        name: "none" (TensorFlow's default strategy: one device) or
            "mirrored" (`MirroredStrategy` over `mirrored_devices()`).
            Defaults to "none".
    """
    if name not in CHOICES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {CHOICES}.")
    if name == "none":
        return tf.distribute.get_strategy()
    return tf.distribute.MirroredStrategy(mirrored_devices())


def use_strategy(name: str = "none") -> tf.distribute.Strategy:
    """Makes strategy `name` the default of the process, for all that follows.

    Call it before building models or optimisers. "none" changes nothing.

    Args:
        name: "none" or "mirrored". Defaults to "none".

    Returns:
        The strategy now in effect.
    """
    if name != "none" and keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"--distribute {name} needs KERAS_BACKEND=tensorflow, "
            f"not {keras.backend.backend()!r}."
        )
    chosen = strategy(name)
    if name != "none":
        tf.distribute.experimental_set_strategy(chosen)
    return chosen


@contextlib.contextmanager
def scope(name: str = "none"):
    """Builds and compiles inside `with scope(name) as s:` to run under strategy `name`."""
    chosen = strategy(name)
    with chosen.scope():
        yield chosen


def steps_per_execution_for(requested: int) -> int:
    """`requested`, or 1 when the strategy in effect has several replicas
    (Keras cannot loop over steps inside one call there)."""
    if tf.distribute.get_strategy().num_replicas_in_sync > 1:
        return 1
    return requested


def add_distribute_argument(parser: argparse.ArgumentParser) -> None:
    """Adds `--distribute {none,mirrored}` to a script's parser."""
    parser.add_argument(
        "--distribute",
        choices=CHOICES,
        default="none",
        help="'mirrored': tf.distribute.MirroredStrategy over all GPUs (or all "
        "logical CPU devices); the batch is split across them (default: none, "
        "one device, a GPU when present)",
    )
