"""The set A network trains alike on every Keras backend installed.

Keras picks its backend once, when it is first imported, so each backend
(TensorFlow always; PyTorch with the `torch` extra, JAX with the `jax` extra)
runs in its own process with `KERAS_BACKEND` set. Each builds the set A
network, fits it for a few steps on a small learnable problem and prints its
layers, parameter count and losses; the processes run at once to keep the
test short. A backend that is not installed is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time

import tensorflow as tf

# The set A network (one conv 5x5x32 at stride 1, ReLU, a dense layer to 10
# logits) fitted with Adam for 5 epochs of 4 batches on 128 images whose class
# is the brightest of 10 horizontal bands, so that there is something to learn.
CHILD = r"""
import json
import keras
import numpy as np
from tfcnn.models import build_shallow
from tfcnn.training.fit import compile_classifier

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
y = rng.integers(0, 10, 128)
x = rng.random((128, 28, 28, 1), dtype=np.float32) * 0.5
for image, label in zip(x, y):
    image[2 * label + 4 : 2 * label + 6] += 0.5
model = build_shallow()
compile_classifier(model, "adam", 1e-3)
history = model.fit(x, y, batch_size=32, epochs=5, shuffle=False, verbose=0)
print(json.dumps({
    "backend": keras.backend.backend(),
    "layers": [[type(layer).__name__, list(layer.output.shape[1:])] for layer in model.layers],
    "params": model.count_params(),
    "losses": [float(loss) for loss in history.history["loss"]],
}))
"""

# Each backend and the package it needs.
BACKENDS = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}
# A bound on all the processes, far above its time on a quiet machine (most of it
# starting the frameworks, which slows several-fold when other jobs load the cores).
TIMEOUT_SECONDS = 60


def installed_backends() -> list[str]:
    return [b for b, package in BACKENDS.items() if importlib.util.find_spec(package)]


def run_on_backends(backends) -> dict[str, dict]:
    """Runs CHILD on every backend of `backends` at once; their reports by backend."""
    processes = {
        backend: subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        for backend in backends
    }
    reports, deadline = {}, time.monotonic() + TIMEOUT_SECONDS
    try:
        for backend, process in processes.items():
            out, err = process.communicate(timeout=max(0, deadline - time.monotonic()))
            if process.returncode:
                raise AssertionError(f"{backend} failed:\n{err[-3000:]}")
            reports[backend] = json.loads(out.strip().splitlines()[-1])
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return reports


class BackendsTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reports = run_on_backends(installed_backends())

    def test_each_backend_is_the_one_asked_for(self):
        self.assertIn("tensorflow", self.reports)
        for backend, report in self.reports.items():
            self.assertEqual(report["backend"], backend)

    def test_same_architecture_and_parameter_count(self):
        reference = self.reports["tensorflow"]
        # conv 5x5x32 + bias, then 24*24*32 features to 10 logits + bias.
        self.assertEqual(reference["params"], 5 * 5 * 32 + 32 + 24 * 24 * 32 * 10 + 10)
        for backend, report in self.reports.items():
            with self.subTest(backend=backend):
                self.assertEqual(report["layers"], reference["layers"])
                self.assertEqual(report["params"], reference["params"])

    def test_loss_falls_on_every_backend(self):
        for backend, report in self.reports.items():
            with self.subTest(backend=backend):
                first, last = report["losses"][0], report["losses"][-1]
                self.assertLess(last, 0.5 * first)


if __name__ == "__main__":
    tf.test.main()
