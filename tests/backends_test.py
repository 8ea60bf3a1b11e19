"""The set A network trains alike on every Keras backend installed.

Keras picks its backend once, when it is first imported, so TensorFlow (the
backend of this process) fits here, while PyTorch (the `torch` extra) and JAX
(the `jax` extra) each fit at the same time in a process of their own with
`KERAS_BACKEND` set (`tests/backend_fit.py`). Each builds the set A network,
fits it for a few steps on a small learnable problem and reports its layers,
parameter count and losses. A backend that is not installed is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf
from backend_fit import fit_set_a_network

FIT = Path(__file__).with_name("backend_fit.py")
OTHER_BACKENDS = ("torch", "jax")  # each backend is also its package's name
# A bound on the other backends' processes, far above their time on a quiet
# machine (most of it starting the framework, which slows several-fold when
# other jobs load the cores).
TIMEOUT_SECONDS = 60


def fit_on_every_backend() -> dict[str, dict]:
    """The report of `fit_set_a_network` on this process's backend and on every
    other backend installed, each in its own process, all at once."""
    processes = {
        backend: subprocess.Popen(
            [sys.executable, str(FIT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "KERAS_BACKEND": backend},
        )
        for backend in OTHER_BACKENDS
        if importlib.util.find_spec(backend)
    }
    try:
        reports = {keras.backend.backend(): fit_set_a_network()}
        deadline = time.monotonic() + TIMEOUT_SECONDS
        for backend, process in processes.items():
            out, err = process.communicate(timeout=max(0, deadline - time.monotonic()))
            if process.returncode:
                raise AssertionError(f"{backend} failed:\n{err[-3000:]}")
            reports[backend] = json.loads(out.strip().splitlines()[-1])
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
            process.communicate()
    return reports


class BackendsTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reports = fit_on_every_backend()

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
