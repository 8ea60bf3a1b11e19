"""The PyTorch twins compute what the Keras networks compute, and the worker times them."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

# PyTorch is the optional extra `pip install -e ".[torch]"` (CI installs it).
torch = pytest.importorskip("torch")

from tfcnn.bench.networks import NETWORKS, get_network, layer_specs  # noqa: E402
from tfcnn.bench.torch_nets import (  # noqa: E402
    load_keras_weights,
    make_optimizer,
    parameter_counts,
    torch_model,
)
from tfcnn.bench.variants import VARIANTS, Variant, get_variants  # noqa: E402
from tfcnn.bench.worker import KerasRunner, serve  # noqa: E402

# A step that moves the logits visibly, but not so far that float32 rounding
# grows past the tolerance (the 'same' deep network's gradients are larger,
# and batch norm's statistics move the CIFAR network's whole output).
STEP_RATES = {"deep_same": 0.01, "cifar10": 0.002}


def twins(name):
    keras.utils.set_random_seed(0)
    model = NETWORKS[name].build()
    specs = layer_specs(model)
    twin = torch_model(specs)
    load_keras_weights(twin, specs, model.get_weights())
    x = np.random.default_rng(0).random((3, *model.input_shape[1:]), dtype=np.float32)
    return model, twin, x / NETWORKS[name].pixel_scale


def nchw(x):
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


class TwinTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters(*NETWORKS)
    def test_same_logits(self, name):
        # In inference (batch norm's running statistics) and in training
        # (the batch's statistics).
        model, twin, x = twins(name)
        for training in (False, True):
            twin.train(training)
            with torch.no_grad():
                expected = twin(nchw(x)).numpy()
            self.assertAllClose(
                model(x, training=training).numpy(), expected, atol=1e-5, rtol=1e-4
            )

    @parameterized.parameters(*NETWORKS)
    def test_same_parameter_counts(self, name):
        model, twin, _ = twins(name)
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        self.assertEqual(
            parameter_counts(twin),
            {"trainable": trainable, "total": model.count_params()},
        )

    def test_cifar_twin_has_the_b2_4_parameter_count(self):
        # B2.4's standard network at widths (48, 192, 192), stem frozen.
        _, twin, _ = twins("cifar10")
        self.assertEqual(
            parameter_counts(twin), {"trainable": 1112160, "total": 1114176}
        )
        self.assertFalse(twin[1].weight.requires_grad)  # the whitening stem

    def test_both_deep_networks_carry_deep_in_their_names(self):
        deep = {name: NETWORKS[name] for name in NETWORKS if "deep" in name}
        self.assertEqual(set(deep), {"deep_same", "deep_valid"})
        for name, net in deep.items():
            padding = name.removeprefix("deep_")
            specs = layer_specs(net.build())
            convs = [s for s in specs if s["kind"] == "Conv2D"]
            self.assertEqual([c["padding"] for c in convs], [padding, padding])
            self.assertEqual([c["filters"] for c in convs], [32, 64])

    @parameterized.parameters(*NETWORKS)
    def test_same_step(self, name):
        # One SGD step on the mean cross-entropy moves both to the same logits:
        # the losses and their gradients agree.
        model, twin, x = twins(name)
        twin.train()
        y = np.array([1, 4, 7])
        rate = STEP_RATES.get(name, 0.5)
        optimizer = make_optimizer("sgd", twin.parameters(), rate)
        loss = torch.nn.functional.cross_entropy(twin(nchw(x)), torch.from_numpy(y))
        loss.backward()
        optimizer.step()
        with tf.GradientTape() as tape:
            keras_loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    y, model(x, training=True)
                )
            )
        grads = tape.gradient(keras_loss, model.trainable_weights)
        for weight, grad in zip(model.trainable_weights, grads):
            weight.assign_sub(rate * grad)
        self.assertAllClose(loss.item(), float(keras_loss), rtol=1e-5)
        with torch.no_grad():
            expected = twin(nchw(x)).numpy()
        self.assertAllClose(
            model(x, training=True).numpy(), expected, atol=1e-4, rtol=1e-4
        )

    def test_specs_are_json(self):
        specs = layer_specs(NETWORKS["deep_valid"].build())
        self.assertEqual(json.loads(json.dumps(specs)), specs)
        self.assertEqual(
            [s["kind"] for s in specs],
            ["Conv2D", "ReLU", "MaxPooling2D"] * 2
            + ["Flatten", "Dense", "ReLU", "Dense"],
        )

    def test_wrong_weights_are_refused(self):
        model, twin, _ = twins("set_a")
        with self.assertRaisesRegex(ValueError, "left over"):
            load_keras_weights(twin, layer_specs(model), model.get_weights() * 2)

    def test_unknown_names(self):
        with self.assertRaisesRegex(ValueError, "deep_same"):
            get_network("nope")
        with self.assertRaisesRegex(ValueError, "keras_xla"):
            get_variants(["keras", "nope"])
        with self.assertRaisesRegex(ValueError, "precision"):
            Variant("x", "keras", "x", precision="float16")
        with self.assertRaisesRegex(ValueError, "adam"):
            make_optimizer("lion", twin_parameters(), 0.1)


def twin_parameters():
    return torch.nn.Linear(2, 2).parameters()


class WorkerTest(tf.test.TestCase, parameterized.TestCase):
    """The worker's command loop, run in this process."""

    @parameterized.parameters("torch", "keras")
    def test_prepare_and_time(self, variant_name):
        net = NETWORKS["set_d"]
        model = net.build()
        commands = [
            {"variant": VARIANTS[variant_name].__dict__},
            {"op": "prepare", "network": "set_d", "specs": layer_specs(model),
             "input_shape": list(model.input_shape[1:]), "batch_size": 8,
             "optimizer": "sgd", "learning_rate": 0.01, "warmup_steps": 10},
            {"op": "time", "network": "set_d", "steps": 10},
            {"op": "quit"},
            {"op": "never reached"},
        ]  # fmt: skip
        answers = []
        serve((json.dumps(c) for c in commands), answers.append)
        self.assertEqual(len(answers), 3)
        self.assertEqual(answers[0], {"ready": True})
        self.assertGreater(answers[1]["first_seconds"], 0)
        timing = answers[2]
        self.assertGreater(timing["wall_ms"], 0)
        self.assertGreater(timing["cpu_ms"], 0)
        # Random labels: the loss stays near log(10) after a few small steps.
        self.assertAllClose(timing["loss"], np.log(10), atol=0.3)


class KerasStreamTest(tf.test.TestCase):
    def test_only_the_autotune_variant_leaves_tf_data_autotuning_on(self):
        command = {"network": "set_d", "batch_size": 8, "optimizer": "sgd",
                   "learning_rate": 0.01}  # fmt: skip
        plain = KerasRunner(VARIANTS["keras"], command).stream
        tuned = KerasRunner(VARIANTS["keras_autotune"], command).stream
        self.assertFalse(plain.options().autotune.enabled)
        self.assertTrue(tuned.options().autotune.enabled)
        first = [next(iter(s))[1].numpy() for s in (plain, tuned)]
        self.assertAllEqual(*first)


class TorchVariantsTest(tf.test.TestCase):
    def test_the_pytorch_settings(self):
        torch_variants = {n: v for n, v in VARIANTS.items() if v.framework == "torch"}
        self.assertEqual(
            set(torch_variants),
            {"torch", "torch_channels_last", "torch_compile", "torch_bf16"},
        )
        self.assertTrue(torch_variants["torch_channels_last"].channels_last)
        self.assertTrue(torch_variants["torch_compile"].torch_compile)
        self.assertEqual(torch_variants["torch_bf16"].precision, "mixed_bfloat16")
        plain = torch_variants["torch"]
        self.assertEqual(
            (plain.precision, plain.channels_last, plain.torch_compile),
            ("float32", False, False),
        )

    def test_a_failing_command_is_answered_and_serving_goes_on(self):
        commands = [
            {"variant": VARIANTS["torch"].__dict__},
            {"op": "prepare", "network": "set_d", "specs": [{"kind": "Nope",
             "name": "x"}], "input_shape": [28, 28, 1], "batch_size": 2,
             "optimizer": "sgd", "learning_rate": 0.1, "warmup_steps": 1},
            {"op": "bogus", "network": "set_d"},
            {"op": "quit"},
        ]  # fmt: skip
        answers = []
        serve((json.dumps(c) for c in commands), answers.append)
        self.assertEqual(len(answers), 3)
        self.assertIn("no PyTorch module for Nope", answers[1]["error"])
        self.assertIn("unknown op", answers[2]["error"])


if __name__ == "__main__":
    tf.test.main()
