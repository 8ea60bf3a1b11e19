"""tf.distribute through tfcnn.training.devices: a mirrored fit equals an ordinary one.

A MirroredStrategy needs several devices. The tests split the CPU into two
logical devices, which TensorFlow only allows before it initialises its
devices, so those tests run in a fresh Python process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import tensorflow as tf

from tfcnn.cli import add_distribute_argument
from tfcnn.training.devices import (
    steps_per_execution_for,
    strategy,
    use_strategy,
)

# Trains a tiny network for 20 steps (batch 50, SGD) with the default
# strategy, then under a two-replica MirroredStrategy entered as a scope and
# set globally with use_strategy, and prints what the parent test checks.
# "keras" feeds the arrays in order to model.fit, so that every run sees the
# same batches; "tfcnn" is fit_iterations' reshuffled stream, whose order
# under a MirroredStrategy (which rewrites the input pipeline) is a different,
# but still seeded, permutation.
CHILD = r"""
import json
from tfcnn.training.devices import split_cpu
devices = split_cpu(2)  # before anything else touches TensorFlow's devices

import numpy as np
from tfcnn import build_shallow, set_seed
from tfcnn.training.devices import scope, steps_per_execution_for, use_strategy
from tfcnn.training.fit import compile_classifier, fit_iterations

rng = np.random.default_rng(0)
x = rng.random((200, 12, 12, 1), dtype=np.float32)
y = rng.integers(0, 10, 200)

def untrained():
    set_seed(0)
    return build_shallow(filters=3, kernel_size=3, pool_size=2, input_shape=(12, 12, 1))

def train(feed):
    model = untrained()
    compile_classifier(model, "sgd", 0.1, steps_per_execution=steps_per_execution_for(10))
    if feed == "keras":
        model.fit(x, y, batch_size=50, epochs=5, shuffle=False, verbose=0)
    else:
        fit_iterations(model, x, y, iterations=20, batch_size=50, chunk=10)
    return model

def max_difference(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a.get_weights(), b.get_weights()))

plain = train("keras")
report = {"devices": len(devices), "moved": max_difference(plain, untrained())}
with scope("mirrored") as s:
    scoped = train("keras")
    report["replicas"] = s.num_replicas_in_sync
    report["spe_under_scope"] = steps_per_execution_for(10)
    report["scoped_variable_replicas"] = len(scoped.trainable_weights[0].value.values)
    report["scoped_vs_plain"] = max_difference(plain, scoped)
use_strategy("mirrored")
global_ = train("keras")
report["global_strategy"] = type(global_.distribute_strategy).__name__
report["global_vs_plain"] = max_difference(plain, global_)
report["tfcnn_rerun"] = max_difference(train("tfcnn"), train("tfcnn"))
print(json.dumps(report))
"""


class MirroredTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        done = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300
        )
        if done.returncode:
            raise AssertionError(f"child process failed:\n{done.stderr[-3000:]}")
        cls.report = json.loads(done.stdout.strip().splitlines()[-1])

    def test_two_logical_devices_two_replicas(self):
        self.assertEqual(self.report["devices"], 2)
        self.assertEqual(self.report["replicas"], 2)
        self.assertEqual(self.report["scoped_variable_replicas"], 2)
        self.assertEqual(self.report["spe_under_scope"], 1)
        self.assertEqual(self.report["global_strategy"], "MirroredStrategy")

    def test_mirrored_fit_gives_the_same_weights(self):
        # Training moved the weights far more than the tolerance...
        self.assertGreater(self.report["moved"], 1e-2)
        # ...and both mirrored runs end where the one-device run ends.
        self.assertLess(self.report["scoped_vs_plain"], 1e-5)
        self.assertLess(self.report["global_vs_plain"], 1e-5)

    def test_mirrored_tfcnn_stream_is_reproducible(self):
        self.assertEqual(self.report["tfcnn_rerun"], 0.0)


class OneDeviceTest(tf.test.TestCase):
    def test_none_is_the_default_strategy(self):
        self.assertIs(use_strategy("none"), tf.distribute.get_strategy())
        self.assertFalse(tf.distribute.has_strategy())
        self.assertEqual(steps_per_execution_for(10), 10)

    def test_unknown_strategy(self):
        with self.assertRaisesRegex(ValueError, "mirrored"):
            strategy("horovod")

    def test_argument(self):
        parser = argparse.ArgumentParser()
        add_distribute_argument(parser)
        self.assertEqual(parser.parse_args([]).distribute, "none")
        self.assertEqual(
            parser.parse_args(["--distribute", "mirrored"]).distribute, "mirrored"
        )
        with self.assertRaises(SystemExit):
            parser.parse_args(["--distribute", "tpu"])


if __name__ == "__main__":
    tf.test.main()
