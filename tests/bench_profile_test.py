"""The per-layer profile: every layer timed, FLOPs that add up to the step's, fractions of peak."""

from __future__ import annotations

import pytest
import tensorflow as tf

from tfcnn.bench.flops import training_step_flops
from tfcnn.bench.layer_profile import (
    input_gradient_needed,
    keras_layer_times,
    profile_flops,
    profile_summary,
)
from tfcnn.bench.networks import NETWORKS, layer_specs

PEAK = {"peak_flops_per_second": 100e9}


def fake_profile(names, forward_ms=1.0, backward_ms=2.0):
    """A profile in which every layer takes the same time."""
    layers = [
        {
            "name": name,
            "kind": "",
            "forward": {"wall_ms": forward_ms, "cpu_ms": forward_ms},
            "forward_backward": {
                "wall_ms": forward_ms + backward_ms,
                "cpu_ms": forward_ms + backward_ms,
            },
        }
        for name in names
    ]
    return {"layers": layers, "call_overhead": {"wall_ms": 0.01, "cpu_ms": 0.01}}


class ProfileFlopsTest(tf.test.TestCase):
    def test_the_layers_add_up_to_the_whole_step(self):
        for name in NETWORKS:
            model = NETWORKS[name].build()
            rows = profile_flops(model, 4)
            self.assertLen(rows, len(layer_specs(model)))
            self.assertEqual(
                sum(r["forward"] + r["backward"] for r in rows),
                training_step_flops(model, 4)["total"],
                msg=name,
            )

    def test_input_gradients_start_after_the_first_trainable_layer(self):
        self.assertEqual(
            input_gradient_needed(
                ["Rescaling", "Conv2D", "Activation", "Conv2D", "ReLU", "Dense"],
                [True, False, True, True, True, True],
            ),
            [False, False, False, False, True, True],
        )

    def test_summary_rates_and_sums(self):
        model = NETWORKS["deep_same"].build()
        names = [s["name"] for s in layer_specs(model)]
        summary = profile_summary(
            {"keras": fake_profile(names), "torch": fake_profile(names, 2.0, 4.0)},
            model,
            50,
            PEAK,
        )
        step = training_step_flops(model, 50)
        self.assertEqual(
            summary["flops"]["forward"] + summary["flops"]["backward"], step["total"]
        )
        conv1 = summary["layers"][0]["variants"]["keras"]
        self.assertAllClose(conv1["backward"]["wall_ms"], 2.0)
        flops = summary["layers"][0]["forward"]
        self.assertAllClose(conv1["forward"]["fraction_of_peak"], flops / 1e-3 / 100e9)
        relu = summary["layers"][1]["variants"]["keras"]["forward"]
        self.assertIsNone(relu["fraction_of_peak"])
        totals = summary["totals"]["torch"]
        self.assertAllClose(totals["forward"]["wall_ms"], 2.0 * len(names))
        table = summary["tables"]["torch"]
        self.assertLen(table["rows"], len(names) + 1)
        self.assertEqual(table["rows"][0][4], "0.50")  # 3 ms against 6 ms
        # Half of PyTorch's time in both passes.
        self.assertEqual(
            summary["compared"], {"torch": {"forward": "faster", "backward": "faster"}}
        )
        slower = profile_summary(
            {"keras": fake_profile(names, 1.0, 2.0),
             "torch_channels_last": fake_profile(names, 0.5, 2.02)},
            model, 50, PEAK,
        )  # fmt: skip
        self.assertEqual(
            slower["compared"]["torch_channels_last"],
            {"forward": "slower", "backward": "about as fast"},
        )
        with self.assertRaisesRegex(ValueError, "not conv1"):
            profile_summary({"keras": fake_profile(names[::-1])}, model, 50, PEAK)


class KerasLayerTimesTest(tf.test.TestCase):
    def test_every_layer_is_timed(self):
        profile = keras_layer_times("set_d", batch_size=2, repeats=2)
        names = [s["name"] for s in layer_specs(NETWORKS["set_d"].build())]
        self.assertEqual([layer["name"] for layer in profile["layers"]], names)
        flatten = profile["layers"][names.index("flatten")]
        self.assertIsNotNone(flatten["forward_backward"])  # after conv1
        self.assertGreater(profile["layers"][0]["forward"]["wall_ms"], 0)


class TorchLayerTimesTest(tf.test.TestCase):
    def test_every_layer_is_timed_and_conv1_needs_no_input_gradient(self):
        pytest.importorskip("torch")
        from tfcnn.bench.layer_profile import torch_layer_times

        specs = layer_specs(NETWORKS["set_d"].build())
        for channels_last in (False, True):
            profile = torch_layer_times(
                specs, (28, 28, 1), 2, repeats=2, channels_last=channels_last
            )
            self.assertEqual(
                [layer["name"] for layer in profile["layers"]],
                [s["name"] for s in specs],
            )
            self.assertGreater(profile["call_overhead"]["wall_ms"], 0)


if __name__ == "__main__":
    tf.test.main()
