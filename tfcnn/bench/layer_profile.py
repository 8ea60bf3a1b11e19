"""Where a training step's time goes: each layer's forward and backward pass, timed alone.

For every layer of a network, a worker process (`tfcnn.bench.worker`, op
"profile") times, on random inputs of the layer's shape at the benchmark's
batch size:

- forward: the layer's output, as the training step computes it (Keras:
  one `tf.function` call in training mode; PyTorch: one eager call with
  autograd recording);
- forward and backward: the output and the gradients the training step needs
  from it (of the weights, and of the input except before the first
  trainable layer), for a random output gradient.

The backward pass is the difference of the two medians. Each time is the
median of `repeats` calls, in wall-clock and process CPU time, after one
untimed call. The cost of calling into the framework at all (one addition on
a one-element tensor) is timed too: it is part of every layer's time, and it
is what a small layer mostly costs. `profile_summary` adds each layer's
FLOPs (`tfcnn.bench.flops`) and the fraction of the machine's float32 peak
each pass reaches.

This module imports no framework at module level: the worker of each
framework imports only its own.
"""

from __future__ import annotations

import time

import numpy as np

from tfcnn.bench.flops import WEIGHTED, layer_flops
from tfcnn.bench.report import compared


def median_times(repeats: int, call, *args) -> dict:
    """`{"wall_ms", "cpu_ms"}`: medians over `repeats` calls of `call(*args)`, after
    one untimed call (which traces, compiles or allocates)."""
    call(*args)
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        call(*args)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {
        "wall_ms": 1e3 * float(np.median(wall)),
        "cpu_ms": 1e3 * float(np.median(cpu)),
    }


def input_gradient_needed(kinds: list[str], trainable: list[bool]) -> list[bool]:
    """Per layer: whether training needs the gradient of the loss with respect
    to its input, which is so after the first trainable Conv2D or Dense layer."""
    needed, seen_trainable = [], False
    for kind, is_trainable in zip(kinds, trainable, strict=True):
        needed.append(seen_trainable)
        seen_trainable = seen_trainable or (kind in WEIGHTED and is_trainable)
    return needed


def keras_layer_times(network: str, batch_size: int, repeats: int) -> dict:
    """Forward and forward-backward times of each layer of a benchmark network in Keras.

    Args:
        network: a name of `tfcnn.bench.networks.NETWORKS`.
        batch_size: examples per call.
        repeats: timed calls per median.

    Returns:
        `{"layers": [{"name", "kind", "forward", "forward_backward"}],
        "call_overhead"}`, each time a `median_times` dict;
        `forward_backward` is None for a layer with nothing to differentiate.
    """
    import tensorflow as tf

    from tfcnn.bench.networks import get_network

    model = get_network(network).build()
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    needed = input_gradient_needed(
        [type(layer).__name__ for layer in layers],
        [layer.trainable for layer in layers],
    )
    rng = np.random.default_rng(0)
    profile = []
    for layer, input_gradient in zip(layers, needed, strict=True):
        x = tf.constant(
            rng.standard_normal((batch_size, *layer.input.shape[1:]), np.float32)
        )
        g = tf.constant(
            rng.standard_normal((batch_size, *layer.output.shape[1:]), np.float32)
        )
        forward = tf.function(lambda x, layer=layer: layer(x, training=True))
        entry = {
            "name": layer.name,
            "kind": type(layer).__name__,
            "forward": median_times(repeats, forward, x),
            "forward_backward": None,
        }
        if input_gradient or layer.trainable_weights:

            @tf.function
            def forward_backward(x, g, layer=layer, input_gradient=input_gradient):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = layer(x, training=True)
                sources = ([x] if input_gradient else []) + layer.trainable_weights
                return y, tape.gradient(y, sources, output_gradients=g)

            entry["forward_backward"] = median_times(repeats, forward_backward, x, g)
        profile.append(entry)
    one = tf.constant([1.0])
    add_one = tf.function(lambda t: t + 1)
    return {
        "layers": profile,
        "call_overhead": median_times(repeats, add_one, one),
    }


def torch_layer_times(
    specs: list[dict],
    input_shape,
    batch_size: int,
    repeats: int,
    channels_last: bool = False,
) -> dict:
    """Forward and forward-backward times of each layer of the PyTorch twin.

    Args:
        specs: `layer_specs` of the network.
        input_shape: the network's (H, W, C).
        batch_size: examples per call.
        repeats: timed calls per median.
        channels_last: images, activations and weights in channels-last
            memory order. Defaults to False.

    Returns:
        As `keras_layer_times`.
    """
    import torch

    from tfcnn.bench.torch_nets import torch_model

    def forward_backward_of(module, x, sources, g):
        return torch.autograd.grad(module(x), sources, g)

    torch.manual_seed(0)
    model = torch_model(specs)
    memory = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory)
    needed = input_gradient_needed(
        [s["kind"] for s in specs], [s.get("trainable", True) for s in specs]
    )
    h, w, c = (int(d) for d in input_shape)
    x = torch.randn(batch_size, c, h, w)
    profile = []
    for module, spec, input_gradient in zip(model, specs, needed, strict=True):
        x = x.contiguous(memory_format=memory) if x.dim() == 4 else x
        x = x.detach().requires_grad_(input_gradient)
        with torch.no_grad():
            g = torch.randn_like(module(x))
        entry = {
            "name": spec["name"],
            "kind": spec["kind"],
            "forward": median_times(repeats, module, x),
            "forward_backward": None,
        }
        weights = [p for p in module.parameters() if p.requires_grad]
        sources = ([x] if input_gradient else []) + weights
        if sources:
            entry["forward_backward"] = median_times(
                repeats, forward_backward_of, module, x, sources, g
            )
        profile.append(entry)
        with torch.no_grad():
            x = module(x)
    one = torch.ones(1)
    return {
        "layers": profile,
        "call_overhead": median_times(repeats, torch.add, one, 1),
    }


def profile_flops(model, batch_size: int) -> list[dict]:
    """Per layer of `model` (without the input layer): `forward` and `backward`
    FLOPs of one training step, 0 for the layers `layer_flops` does not count."""
    counted = {row.name: row for row in layer_flops(model, batch_size)}
    out = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        row = counted.get(layer.name)
        out.append(
            {
                "name": layer.name,
                "forward": row.forward if row else 0,
                "backward": row.backward_input + row.backward_weights if row else 0,
            }
        )
    return out


def _passes(entry: dict) -> dict:
    """Forward and backward wall and CPU ms of one layer (backward: the
    difference of the medians, 0 for a layer with nothing to differentiate)."""
    forward, both = entry["forward"], entry["forward_backward"]
    return {
        "forward": forward,
        "backward": {
            key: (both[key] - forward[key]) if both else 0.0
            for key in ("wall_ms", "cpu_ms")
        },
    }


def _fraction(flops: int, ms: float, peak_flops: float) -> float | None:
    return flops / (ms / 1e3) / peak_flops if flops and ms > 0 else None


def profile_summary(
    profiles: dict, model, batch_size: int, peak: dict, keras_variant: str = "keras"
) -> dict:
    """Per layer: FLOPs, each variant's forward and backward times and fraction of
    peak, and one table per PyTorch variant against `keras_variant`.

    Args:
        profiles: `{variant: keras_layer_times or torch_layer_times result}`,
            every one over the layers of `model`.
        model: the Keras model profiled.
        batch_size: the batch of the profile.
        peak: `fp32_peak()`.
        keras_variant: the tfcnn column of the tables. Defaults to "keras".

    Returns:
        `{"batch_size", "layers": [...], "totals": {...}, "call_overhead",
        "tables": {torch_variant: table}, "compared": {torch_variant: {pass:
        word}}}`, the words `compared`'s, for the sums of the layers.
    """
    flops = profile_flops(model, batch_size)
    peak_flops = peak["peak_flops_per_second"]
    layers, totals = [], {}
    for index, layer_flops_row in enumerate(flops):
        row = {**layer_flops_row, "variants": {}}
        for variant, profile in profiles.items():
            entry = profile["layers"][index]
            if entry["name"] != row["name"]:
                raise ValueError(
                    f"{variant}: layer {index} is {entry['name']}, not {row['name']}."
                )
            passes = _passes(entry)
            for name, times in passes.items():
                times["fraction_of_peak"] = _fraction(
                    row[name], times["wall_ms"], peak_flops
                )
            row["variants"][variant] = passes
        layers.append(row)
    for variant in profiles:
        totals[variant] = {
            name: {
                key: sum(row["variants"][variant][name][key] for row in layers)
                for key in ("wall_ms", "cpu_ms")
            }
            for name in ("forward", "backward")
        }
    return {
        "batch_size": batch_size,
        "layers": layers,
        "flops": {
            name: sum(row[name] for row in layers) for name in ("forward", "backward")
        },
        "totals": totals,
        "call_overhead": {v: p["call_overhead"] for v, p in profiles.items()},
        "tables": {
            variant: profile_table(layers, totals, keras_variant, variant)
            for variant in profiles
            if variant != keras_variant
        },
        "compared": {
            variant: {
                which: compared(
                    totals[keras_variant][which]["wall_ms"]
                    / totals[variant][which]["wall_ms"]
                )
                for which in ("forward", "backward")
            }
            for variant in profiles
            if variant != keras_variant
        },
    }


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def profile_table(
    layers: list[dict], totals: dict, keras_variant: str, torch_variant: str
) -> dict:
    """The per-layer table of tfcnn (`keras_variant`) against one PyTorch variant:
    MFLOPs, wall ms and fraction of peak of each pass, and the ratio of the
    layer's forward-and-backward time."""
    rows = []
    for row in layers:
        mine, theirs = row["variants"][keras_variant], row["variants"][torch_variant]
        both_mine = mine["forward"]["wall_ms"] + mine["backward"]["wall_ms"]
        both_theirs = theirs["forward"]["wall_ms"] + theirs["backward"]["wall_ms"]
        rows.append(
            [
                f"`{row['name']}`",
                f"{row['forward'] / 1e6:,.1f} / {row['backward'] / 1e6:,.1f}",
                f"{mine['forward']['wall_ms']:.3f} / {mine['backward']['wall_ms']:.3f}",
                f"{theirs['forward']['wall_ms']:.3f} / {theirs['backward']['wall_ms']:.3f}",
                f"{both_mine / both_theirs:.2f}" if both_theirs > 0 else "",
                f"{_percent(mine['forward']['fraction_of_peak'])} / "
                f"{_percent(mine['backward']['fraction_of_peak'])}"
                if row["forward"]
                else "",
                f"{_percent(theirs['forward']['fraction_of_peak'])} / "
                f"{_percent(theirs['backward']['fraction_of_peak'])}"
                if row["forward"]
                else "",
            ]
        )
    mine, theirs = totals[keras_variant], totals[torch_variant]
    both_mine = mine["forward"]["wall_ms"] + mine["backward"]["wall_ms"]
    both_theirs = theirs["forward"]["wall_ms"] + theirs["backward"]["wall_ms"]
    rows.append(
        [
            "**sum of the layers**",
            f"{sum(r['forward'] for r in layers) / 1e6:,.1f} / "
            f"{sum(r['backward'] for r in layers) / 1e6:,.1f}",
            f"{mine['forward']['wall_ms']:.3f} / {mine['backward']['wall_ms']:.3f}",
            f"{theirs['forward']['wall_ms']:.3f} / {theirs['backward']['wall_ms']:.3f}",
            f"{both_mine / both_theirs:.2f}",
            "",
            "",
        ]
    )
    return {
        "columns": [
            "layer",
            "MFLOP forward / backward",
            f"`{keras_variant}` ms forward / backward",
            f"`{torch_variant}` ms forward / backward",
            f"`{keras_variant}` × `{torch_variant}`",
            f"`{keras_variant}` of fp32 peak",
            f"`{torch_variant}` of fp32 peak",
        ],
        "rows": rows,
    }
