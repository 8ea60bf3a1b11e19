"""Devices and threads: CPU thread limits on any backend, and `tf.distribute`.

`set_threads` caps the CPU threads of the active Keras backend.

The training scripts take `--distribute {none,mirrored,multiworker}` (added
by `tfcnn.cli.add_distribute_argument`) and call
`use_strategy(args.distribute)` before they build anything. With "none" nothing changes: TensorFlow runs on one
device, a GPU when one is present. With "mirrored" a
`tf.distribute.MirroredStrategy` becomes the default strategy of the
process: every model and optimiser built afterwards keeps one copy of its
variables per device, and every `fit` splits each batch across the devices
and sums the gradients, so the same script, unchanged, trains on all the GPUs
of a machine (or on all logical CPU devices when there is no GPU). The global
batch size stays what the script says; each device gets an equal share.

With "multiworker" a `tf.distribute.MultiWorkerMirroredStrategy` spans
several processes, usually on several machines: each runs the same command
with its own `TF_CONFIG` (`multiworker_cluster` reads and checks it), the
strategy splits every batch across all the workers' devices and adds up the
gradients with collective operations, so every worker holds the same weights
after every step. Keras 3.15 cannot `fit` under this strategy as it is
(keras-team/keras#20585); `fix_keras_multiworker` mends the two places that
fail, and `use_strategy("multiworker")` applies it.

On a machine with one CPU, `split_cpu(2)` (called before TensorFlow starts)
makes two logical CPU devices, which is how the tests check that a mirrored
fit gives the weights of an ordinary one.

Keras (3.15) cannot run several steps per call (`steps_per_execution` > 1)
under a strategy with more than one replica (keras-team/keras#19246), so
`steps_per_execution_for` returns 1 there.
"""

from __future__ import annotations

import contextlib
import json
import os

import keras
import tensorflow as tf

CHOICES = ("none", "mirrored", "multiworker")
# What a worker's TF_CONFIG looks like, for the error messages.
TF_CONFIG_EXAMPLE = (
    '{"cluster": {"worker": ["host0:12345", "host1:12345"]}, '
    '"task": {"type": "worker", "index": 0}}'
)


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


def multiworker_cluster(tf_config: str | None = None) -> dict:
    """The cluster of a multi-worker run, from `TF_CONFIG`, checked.

    Args:
        tf_config: the JSON text of `TF_CONFIG`; None reads the environment
            variable. Defaults to None.

    Returns:
        The parsed `TF_CONFIG`: `{"cluster": {"worker": [...]}, "task":
        {"type": "worker", "index": i}}`.

    Raises:
        ValueError: `TF_CONFIG` is missing, is not JSON, lists no workers, or
            names a task that is not one of them; the message says what to set.
    """
    text = os.environ.get("TF_CONFIG") if tf_config is None else tf_config
    fix = f"set TF_CONFIG on every worker, e.g. TF_CONFIG='{TF_CONFIG_EXAMPLE}'"
    if not text:
        raise ValueError(f"--distribute multiworker needs TF_CONFIG: {fix}.")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}): {fix}.") from None
    workers = (
        (config.get("cluster") or {}).get("worker")
        if isinstance(config, dict)
        else None
    )
    if not isinstance(workers, list) or not workers:
        raise ValueError(f"TF_CONFIG has no cluster.worker list of host:port: {fix}.")
    task = config.get("task") or {}
    index = task.get("index")
    if (
        task.get("type") != "worker"
        or not isinstance(index, int)
        or not 0 <= index < len(workers)
    ):
        raise ValueError(
            f'TF_CONFIG\'s task must be {{"type": "worker", "index": i}} with '
            f"0 <= i < {len(workers)} (this worker's place in cluster.worker), got "
            f"{json.dumps(task)}: {fix}."
        )
    return config


def fix_keras_multiworker() -> None:
    """Lets Keras 3.15's `fit` run under a `MultiWorkerMirroredStrategy`.

    Two steps of Keras' TensorFlow trainer fail with several workers
    (keras-team/keras#20585): building the model from the first batch
    averages that batch across workers with a collective operation that
    cannot take a structure of per-replica values, and reducing each step's
    logs averages them over an axis 0 that scalars do not have. The fix builds
    from the first local replica's batch (only its shapes matter) and
    averages scalar logs over the replicas without an axis. Idempotent.
    """
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.reduce_per_replica, "fixed_for_multiworker", False):
        return
    build, reduce = (
        trainer.TensorFlowTrainer._maybe_symbolic_build,
        trainer.reduce_per_replica,
    )

    def build_from_local_batch(self, iterator=None, data_batch=None):
        if iterator is not None and self._distribute_strategy is not None:
            local_results = self.distribute_strategy.experimental_local_results
            for _, _, batches in iterator:
                data_batch = tree.map_structure(
                    lambda value: local_results(value)[0], next(batches)
                )
                break
            iterator = None
        return build(self, iterator=iterator, data_batch=data_batch)

    def reduce_scalars_without_axis(values, strategy, reduction):
        if reduction != "auto" or not trainer._collective_all_reduce_multi_worker(
            strategy
        ):
            return reduce(values, strategy, reduction)

        def reduce_one(value):
            if strategy.experimental_local_results(value)[0].shape.rank == 0:
                return strategy.reduce("MEAN", value, axis=None)
            return reduce(value, strategy, reduction)

        return tree.map_structure(reduce_one, values)

    reduce_scalars_without_axis.fixed_for_multiworker = True
    trainer.TensorFlowTrainer._maybe_symbolic_build = build_from_local_batch
    trainer.reduce_per_replica = reduce_scalars_without_axis


def strategy(name: str = "none") -> tf.distribute.Strategy:
    """The distribution strategy called `name`.

    Args:
        name: "none" (TensorFlow's default strategy: one device),
            "mirrored" (`MirroredStrategy` over `mirrored_devices()`) or
            "multiworker" (`MultiWorkerMirroredStrategy` over the workers of
            `TF_CONFIG`, with `fix_keras_multiworker` applied). Defaults to
            "none".
    """
    if name not in CHOICES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {CHOICES}.")
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "multiworker":
        multiworker_cluster()
        fix_keras_multiworker()
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.MirroredStrategy(mirrored_devices())


def use_strategy(name: str = "none") -> tf.distribute.Strategy:
    """Makes strategy `name` the default of the process, for all that follows.

    Call it before building models or optimisers. "none" changes nothing.

    Args:
        name: "none", "mirrored" or "multiworker" (see `strategy`). Defaults
            to "none".

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
