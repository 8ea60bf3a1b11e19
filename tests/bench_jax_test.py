"""The benchmark's Keras-JAX row: its worker trains on Keras' JAX backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

# JAX is the optional extra `pip install -e ".[jax]"` (CI installs it).
pytest.importorskip("jax")

from tfcnn.bench.networks import NETWORKS, layer_specs  # noqa: E402
from tfcnn.bench.session import Worker  # noqa: E402
from tfcnn.bench.variants import VARIANTS, Variant  # noqa: E402


class KerasJaxRowTest(tf.test.TestCase):
    def test_the_variant(self):
        variant = VARIANTS["keras_jax"]
        self.assertEqual(variant.framework, "keras")
        self.assertEqual(variant.environment()["KERAS_BACKEND"], "jax")
        self.assertEqual(VARIANTS["keras"].environment()["KERAS_BACKEND"], "tensorflow")
        self.assertTrue(variant.same_numerics)
        with self.assertRaisesRegex(ValueError, "keras_backend"):
            Variant("x", "keras", "x", keras_backend="mxnet")

    def test_the_worker_times_steps_on_jax(self):
        model = NETWORKS["set_d"].build()
        worker = Worker(
            VARIANTS["keras_jax"], Path(self.get_temp_dir()) / "keras_jax.log"
        )
        try:
            self.assertEqual(worker.receive(), {"ready": True})
            prepared = worker.request(
                op="prepare",
                network="set_d",
                specs=layer_specs(model),
                input_shape=list(model.input_shape[1:]),
                batch_size=8,
                optimizer="sgd",
                learning_rate=0.01,
                warmup_steps=10,
            )
            timing = worker.request(op="time", network="set_d", steps=10)
        finally:
            worker.close()
        self.assertEqual(prepared["backend"], "jax")
        self.assertGreater(prepared["first_seconds"], 0)
        self.assertGreater(timing["wall_ms"], 0)
        # Random labels: the loss stays near log(10) after a few small steps.
        self.assertAllClose(timing["loss"], np.log(10), atol=0.3)


if __name__ == "__main__":
    tf.test.main()
