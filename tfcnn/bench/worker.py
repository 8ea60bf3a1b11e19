"""A benchmark worker: one process, one variant, training steps timed on request.

Run as `python -m tfcnn.bench.worker`; it reads one JSON object per line on
stdin and answers one per line on stdout (everything else the frameworks print
goes to stderr):

    {"variant": {...}}                                   -> {"ready": true}
    {"op": "prepare", "network": ..., "specs": [...],
     "batch_size": 50, "optimizer": "adam", "learning_rate": 1e-4,
     "warmup_steps": 20}                                 -> {"first_seconds": ...,
                                                             "backend": ...}
    {"op": "time", "network": ..., "steps": 200}         -> {"wall_ms", "cpu_ms", "loss"}
    {"op": "accuracy", (prepare's keys), "data": npz,
     "steps": 500}                                       -> {"val_accuracy", ...}
    {"op": "profile", "network": ..., "specs": [...],
     "input_shape": [...], "batch_size": 50,
     "repeats": 30}                                      -> {"layers": [...], ...}
    {"op": "quit"}

Inputs of the timed steps are random images and labels (the step's cost does
not depend on the values), `BATCHES` batches of them, reshuffled on every
pass. A command that fails (say, `torch.compile` without a working compiler)
is answered with `{"error": ...}` and the worker goes on with the next one.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

import numpy as np

from tfcnn.bench.variants import Variant

BATCHES = 20


def random_data(input_shape, batch_size: int, seed: int = 0):
    """`BATCHES` batches of uniform [0, 1) images (N, H, W, C) and labels 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.random((BATCHES * batch_size, *input_shape), dtype=np.float32)
    y = rng.integers(0, 10, BATCHES * batch_size)
    return x, y


class KerasRunner:
    """tfcnn's training path for one network under one variant's settings."""

    def __init__(self, variant: Variant, command: dict):
        import keras
        import tensorflow as tf

        from tfcnn.bench.networks import get_network
        from tfcnn.data.pipeline import make_dataset, set_autotuning
        from tfcnn.results import set_seed
        from tfcnn.training.fit import compile_classifier, make_optimizer

        keras.mixed_precision.set_global_policy(variant.precision)
        set_seed(0, deterministic=variant.deterministic)
        self.model = get_network(command["network"]).build()
        if variant.accuracy_metric:
            compile_classifier(
                self.model,
                command["optimizer"],
                command["learning_rate"],
                steps_per_execution=variant.steps_per_execution,
            )
        else:  # compile_classifier without its metric
            self.model.compile(
                optimizer=make_optimizer(
                    command["optimizer"], command["learning_rate"]
                ),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                steps_per_execution=variant.steps_per_execution,
            )
        self.model.jit_compile = variant.jit_compile
        batch = command["batch_size"]
        x, y = random_data(self.model.input_shape[1:], batch)
        if variant.pipeline == "stream":
            self.stream = make_dataset(
                x,
                y,
                batch,
                shuffle=True,
                seed=0,
                repeat=True,
                autotune=variant.tf_data_autotune,
            )
        else:
            self.stream = set_autotuning(
                tf.data.Dataset.from_tensor_slices((x, y))
                .batch(batch, drop_remainder=True)
                .cache()
                .repeat()
                .prefetch(tf.data.AUTOTUNE),
                variant.tf_data_autotune,
            )

    @property
    def backend(self) -> str:
        """The Keras backend running the step."""
        import keras

        return keras.backend.backend()

    def run(self, steps: int) -> float:
        history = self.model.fit(
            self.stream, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False
        )
        return float(history.history["loss"][-1])


class TorchRunner:
    """A plain PyTorch training loop: forward, cross-entropy, backward, step.

    Args:
        variant: the PyTorch settings (memory order, `torch.compile`, autocast).
        command: the "prepare" command (specs, input shape, batch size, optimiser).
        data: training images (N, H, W, C) and labels; None draws random ones
            (`random_data`). Defaults to None.
    """

    def __init__(self, variant: Variant, command: dict, data=None):
        import torch

        from tfcnn.bench.torch_nets import make_optimizer, torch_model

        self.torch = torch
        torch.manual_seed(0)
        self.model = torch_model(command["specs"])
        self.optimizer = make_optimizer(
            command["optimizer"], self.model.parameters(), command["learning_rate"]
        )
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.batch = command["batch_size"]
        x, y = data or random_data(command["input_shape"], self.batch)
        self.channels_last = variant.channels_last
        self.x = self._images(x)
        if variant.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if variant.torch_compile:
            self.model = torch.compile(self.model)
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.generator = torch.Generator().manual_seed(0)
        self.order, self.position = None, len(self.y)
        self.bf16 = variant.precision == "mixed_bfloat16"

    backend = "torch"

    def _images(self, x):
        """NHWC float32 arrays -> the tensor layout of the variant."""
        images = self.torch.from_numpy(np.asarray(x, np.float32)).permute(0, 3, 1, 2)
        if self.channels_last:
            return images.contiguous(memory_format=self.torch.channels_last)
        return images.contiguous()

    def _next_batch(self):
        if self.position + self.batch > len(self.y):
            self.order = self.torch.randperm(len(self.y), generator=self.generator)
            self.position = 0
        index = self.order[self.position : self.position + self.batch]
        self.position += self.batch
        return self.x[index], self.y[index]

    def run(self, steps: int) -> float:
        """Trains `steps` steps; returns the last step's loss."""
        torch = self.torch
        self.model.train()
        for _ in range(steps):
            x, y = self._next_batch()
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        return loss.detach().item()

    def predict(self, x) -> np.ndarray:
        """The predicted classes of images `x` (N, H, W, C), in inference mode
        and at the variant's precision, a batch at a time."""
        torch = self.torch
        self.model.eval()
        images, classes = self._images(x), []
        with (
            torch.no_grad(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16),
        ):
            for start in range(0, len(images), self.batch):
                logits = self.model(images[start : start + self.batch])
                classes.append(logits.float().argmax(dim=1).numpy())
        return np.concatenate(classes)


def accuracy_run(variant: Variant, command: dict) -> dict:
    """Trains the network from its seeded start on real images, then scores it
    on held-out training images.

    Args:
        variant: a PyTorch variant.
        command: the "accuracy" command: prepare's keys, `data` (an .npz with
            uint8 `x_train`, `y_train`, `x_val`, `y_val` and the float
            `pixel_scale`) and `steps`.

    Returns:
        `{"val_accuracy", "predictions", "loss", "seconds"}`.
    """
    started = time.perf_counter()
    with np.load(command["data"]) as data:
        scale = np.float32(data["pixel_scale"])
        train = (data["x_train"].astype(np.float32) * scale, data["y_train"])
        x_val, y_val = data["x_val"].astype(np.float32) * scale, data["y_val"]
    runner = TorchRunner(variant, command, data=train)
    loss = runner.run(command["steps"])
    predictions = runner.predict(x_val)
    return {
        "val_accuracy": float(np.mean(predictions == y_val)),
        "predictions": predictions.tolist(),
        "loss": loss,
        "seconds": time.perf_counter() - started,
    }


def configure_threads(variant: Variant) -> None:
    """Applies the variant's thread counts before the framework starts its pools."""
    if variant.framework == "torch":
        import torch

        torch.set_num_threads(variant.intra_threads or len(os.sched_getaffinity(0)))
        return
    import tensorflow as tf

    if variant.intra_threads:
        tf.config.threading.set_intra_op_parallelism_threads(variant.intra_threads)
    if variant.inter_threads:
        tf.config.threading.set_inter_op_parallelism_threads(variant.inter_threads)


def answer_command(variant: Variant, command: dict, runners: dict) -> dict:
    """The answer to one "prepare", "time", "accuracy" or "profile" command."""
    network = command["network"]
    if command["op"] == "prepare":
        started = time.perf_counter()
        runner_class = KerasRunner if variant.framework == "keras" else TorchRunner
        runners[network] = runner = runner_class(variant, command)
        runner.run(command["warmup_steps"])
        first = time.perf_counter() - started
        runner.run(command["warmup_steps"])
        return {"first_seconds": first, "backend": runner.backend}
    if command["op"] == "time":
        wall, cpu = time.perf_counter(), time.process_time()
        loss = runners[network].run(command["steps"])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        steps = command["steps"]
        return {
            "wall_ms": 1e3 * wall / steps,
            "cpu_ms": 1e3 * cpu / steps,
            "loss": loss,
        }
    if command["op"] == "accuracy":
        if variant.framework != "torch":
            raise ValueError(
                f"accuracy runs are for PyTorch variants, not {variant.name}."
            )
        return accuracy_run(variant, command)
    if command["op"] == "profile":
        from tfcnn.bench.layer_profile import keras_layer_times, torch_layer_times

        if variant.framework == "keras":
            return keras_layer_times(network, command["batch_size"], command["repeats"])
        return torch_layer_times(
            command["specs"],
            command["input_shape"],
            command["batch_size"],
            command["repeats"],
            channels_last=variant.channels_last,
        )
    raise ValueError(f"unknown op {command['op']!r}")


def serve(lines, answer) -> None:
    """Answers the commands in `lines` (an iterable of JSON strings) via `answer`.

    A command that raises is answered with `{"error": "<type>: <message>"}`
    (its traceback goes to stderr) and serving goes on.
    """
    variant, runners = None, {}
    for line in lines:
        command = json.loads(line)
        if "variant" in command:
            variant = Variant(**command["variant"])
            configure_threads(variant)
            answer({"ready": True})
            continue
        if command["op"] == "quit":
            return
        try:
            reply = answer_command(variant, command, runners)
        except Exception as error:  # reported to the parent, which records it
            traceback.print_exc()
            reply = {"error": f"{type(error).__name__}: {error}"}
        answer(reply)


def reserve_stdout():
    """The process's standard output as a file of its own, for its answers only;
    anything printed afterwards (to Python's or C's stdout, as the frameworks
    do) lands on stderr."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def main() -> None:
    out = reserve_stdout()

    def answer(reply: dict) -> None:
        out.write(json.dumps(reply) + "\n")
        out.flush()

    try:
        serve(sys.stdin, answer)
    except Exception as error:  # e.g. a bad variant: reported to the parent
        answer({"error": f"{type(error).__name__}: {error}"})
        raise


if __name__ == "__main__":
    main()
