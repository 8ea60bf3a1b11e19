"""Set B, B2.2, B2.3 and B2.5: the derivations, checked numerically.

- B2.2: the softmax Jacobian y_i(delta_ij - y_j) and the cross-entropy gradient
  dL/dz = y_hat - y, against `tf.GradientTape` on random logits and targets.
- B2.3: the least-squares weights w = (X^T X)^-1 X^T y against
  `numpy.linalg.lstsq`, gradient descent converging to them, and the singular
  cases (a derived feature, fewer samples than features) where the
  pseudo-inverse gives the minimum-norm minimiser.
- B2.5: a DepthwiseConv2D + 1x1 Conv2D block equals SeparableConv2D with the
  same weights; the parameter and multiply-add formulas against
  `count_params()` and TensorFlow's FLOP profiler.

Writes `docs/results/b2-2/softmax.json`, `docs/results/b2-3/least_squares.json`,
`docs/results/b2-3/gradient_descent.png` and `docs/results/b2-5/separable.json`.
The closed forms themselves are in `tfcnn.analysis.theory`.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcnn.analysis import theory
from tfcnn.cli import results_root
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, set_seed, write_result


@dataclasses.dataclass
class Config:
    """The random draws and grids of the B2.2, B2.3 and B2.5 checks.

    Attributes:
        trials: random softmax draws (default: 200), each with 2 to
            `max_classes` classes and logits of scale `logit_scale`.
        samples, features, noise: the least-squares design X (n x d) and the
            noise of its targets; `gd_steps` gradient-descent steps.
        conv_size, kernel_sizes, channels: the input size, kernel sizes and
            channel counts of the separable cost grid.
        seed: the seed of every random input (default: 0).
    """

    trials: int = 200
    max_classes: int = 12
    logit_scale: float = 3.0
    samples: int = 200
    features: int = 5
    noise: float = 0.1
    gd_steps: int = 300
    conv_size: int = 32
    kernel_sizes: tuple[int, ...] = (3, 5)
    channels: tuple[int, ...] = (16, 64, 256)
    seed: int = 0

    def quick(self) -> Config:
        """The smoke run: 20 trials and a small separable grid."""
        return dataclasses.replace(
            self, trials=20, kernel_sizes=(3,), channels=(8, 16), conv_size=8
        )


def softmax_checks(config: Config, rng: np.random.Generator) -> dict:
    """Closed forms against automatic differentiation, on random logits and targets.

    Args:
        config: `trials` draws of 2 to `max_classes` logits of scale `logit_scale`.
        rng: the random draws.

    Returns:
        The number of trials and, per check, the largest difference seen.
    """
    worst = {"jacobian": 0.0, "grad_one_hot": 0.0, "grad_soft": 0.0, "grad_unnormalised": 0.0,
             "y_hat_minus_y_unnormalised": 0.0, "tf_fused_op_unnormalised": 0.0,
             "jacobian_column_sums": 0.0}  # fmt: skip
    for _ in range(config.trials):
        n = int(rng.integers(2, config.max_classes + 1))
        z = tf.constant(rng.normal(scale=config.logit_scale, size=n))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(z)
            y_hat = tf.nn.softmax(z)
        jacobian = theory.softmax_jacobian(z.numpy())
        worst["jacobian"] = max(
            worst["jacobian"],
            np.abs(
                tape.jacobian(y_hat, z, experimental_use_pfor=False).numpy() - jacobian
            ).max(),
        )
        worst["jacobian_column_sums"] = max(
            worst["jacobian_column_sums"], np.abs(jacobian.sum(axis=0)).max()
        )
        targets = {
            "grad_one_hot": np.eye(n)[rng.integers(n)],
            "grad_soft": rng.dirichlet(np.ones(n)),
            "grad_unnormalised": rng.uniform(0, 1, size=n),
        }
        for key, y in targets.items():
            with tf.GradientTape() as tape:
                tape.watch(z)
                loss = -tf.reduce_sum(y * tf.nn.log_softmax(z))
            autodiff = tape.gradient(loss, z).numpy()
            worst[key] = max(
                worst[key],
                np.abs(autodiff - theory.cross_entropy_grad_logits(y, z.numpy())).max(),
            )
            if key == "grad_unnormalised":  # y_hat - y is wrong when sum(y) != 1
                gap = np.abs(autodiff - (theory.softmax(z.numpy()) - y)).max()
                worst["y_hat_minus_y_unnormalised"] = max(
                    worst["y_hat_minus_y_unnormalised"], gap
                )
                # TensorFlow's fused kernel hard-codes y_hat - y as its gradient:
                with tf.GradientTape() as tape:
                    tape.watch(z)
                    fused = tf.nn.softmax_cross_entropy_with_logits(y, z)
                gap = np.abs(tape.gradient(fused, z).numpy() - autodiff).max()
                worst["tf_fused_op_unnormalised"] = max(
                    worst["tf_fused_op_unnormalised"], gap
                )
    return {
        "trials": config.trials,
        "max_abs_diff": {k: float(v) for k, v in worst.items()},
    }


def finite_or_none(value: float) -> float | None:
    """`value` as a float, or None if it is infinite or NaN (JSON has neither)."""
    return float(value) if np.isfinite(value) else None


def least_squares_checks(config: Config, rng: np.random.Generator) -> tuple[dict, dict]:
    """Normal equations, lstsq, pseudo-inverse and gradient descent on three designs.

    Args:
        config: the design's `samples` x `features`, the target `noise` and
            the `gd_steps` of gradient descent.
        rng: the random design, weights and noise.

    Returns:
        `(results, runs)`: by design, the comparisons (and a page table);
        by design label, the gradient-descent curves for the figure.
    """
    n, d = config.samples, config.features
    x = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    y = x @ w_true + config.noise * rng.normal(size=n)
    designs = {  # key: (label, X)
        "full_rank": ("full rank", x),
        "duplicated_feature": (
            "a derived feature (x0 + x1)",
            np.column_stack([x, x[:, 0] + x[:, 1]]),
        ),
        "fewer_samples": ("fewer samples than features", x[: d - 2]),
    }
    results, runs = {}, {}
    for name, (label, design) in designs.items():
        target = y[: len(design)]
        lstsq = np.linalg.lstsq(design, target, rcond=None)[0]
        pinv = theory.min_norm_weights(design, target)
        try:
            normal = theory.normal_equation_weights(design, target)
            normal_error = None
        except ValueError as error:
            normal, normal_error = None, str(error)
        gd = theory.gradient_descent_mse(design, target, config.gd_steps)
        reference = normal if normal is not None else pinv
        runs[label] = {"loss_gap": gd["loss"] - theory.mse(design, target, reference),
                      "distance": np.linalg.norm(gd["weights"] - reference, axis=1)}  # fmt: skip
        results[name] = {
            "label": label,
            "shape": list(design.shape),
            "rank": int(np.linalg.matrix_rank(design)),
            # None where X^T X is exactly singular (an infinite condition number).
            "gram_condition_number": finite_or_none(np.linalg.cond(design.T @ design)),
            "normal_equations_error": normal_error,
            "normal_vs_lstsq": None
            if normal is None
            else float(np.abs(normal - lstsq).max()),
            "pinv_vs_lstsq": float(np.abs(pinv - lstsq).max()),
            "gd_vs_solution": float(np.abs(gd["w"] - reference).max()),
            "gd_learning_rate": gd["learning_rate"],
            "gd_steps": config.gd_steps,
            "mse_at_solution": theory.mse(design, target, reference),
            "gradient_norm_at_solution": float(
                np.linalg.norm(theory.mse_gradient(design, target, reference))
            ),
        }
        if (
            normal is None
        ):  # every w + null-space vector is also a minimiser, with a larger norm
            null_vector = np.linalg.svd(design)[2][-1]
            other = pinv + 3.0 * null_vector
            results[name]["other_minimiser_mse"] = theory.mse(design, target, other)
            results[name]["norms"] = {
                "pinv": float(np.linalg.norm(pinv)),
                "other": float(np.linalg.norm(other)),
            }
    results["full_rank"]["w_true"] = w_true
    results["full_rank"]["w_hat"] = theory.normal_equation_weights(x, y)
    results["table"] = {
        "columns": ["design X", "n × d", "rank", "cond(XᵀX)", "normal equations vs lstsq",
                    "pinv vs lstsq", f"GD ({config.gd_steps} steps) vs solution"],
        "rows": [[r["label"], "{} × {}".format(*r["shape"]), r["rank"], "∞" if r["gram_condition_number"] is None else f"{r['gram_condition_number']:.3g}",
                  "singular" if r["normal_vs_lstsq"] is None else f"{r['normal_vs_lstsq']:.1e}",
                  f"{r['pinv_vs_lstsq']:.1e}", f"{r['gd_vs_solution']:.1e}"] for name, r in results.items()],
    }  # fmt: skip
    return results, runs


def plot_gradient_descent(runs: dict):
    """Loss gap and distance to the solution per gradient-descent step, one line per design.

    Args:
        runs: by design label, `loss_gap` and `distance` arrays of
            `least_squares_checks`.
    """
    fig, (ax_loss, ax_dist) = new_figure(ncols=2, width=4.6, height=3.3)
    for name, run in runs.items():
        steps = np.arange(len(run["loss_gap"]))
        ax_loss.semilogy(steps, np.maximum(run["loss_gap"], 1e-16), label=name)
        ax_dist.semilogy(steps, np.maximum(run["distance"], 1e-16), label=name)
    ax_loss.set(xlabel="gradient-descent step", ylabel="MSE(w_t) − MSE(w*)",
                title="loss gap (floored at 1e-16)")  # fmt: skip
    ax_dist.set(xlabel="gradient-descent step", ylabel="‖w_t − w*‖",
                title="w* = the solution, or X⁺y when singular")  # fmt: skip
    ax_loss.legend(fontsize=8)
    return fig


def separable_equality(rng: np.random.Generator) -> dict:
    """DepthwiseConv2D + 1x1 Conv2D with SeparableConv2D's weights gives its output.

    Args:
        rng: the random inputs.
    """
    worst = 0.0
    for k, c, n, multiplier, stride in [
        (3, 8, 16, 1, 1),
        (5, 4, 12, 2, 1),
        (3, 6, 10, 1, 2),
    ]:
        x = rng.normal(size=(2, 15, 15, c)).astype(np.float32)
        separable = keras.layers.SeparableConv2D(n, k, strides=stride, padding="same",
                                                 depth_multiplier=multiplier, bias_initializer="random_normal")  # fmt: skip
        expected = separable(x).numpy()
        depthwise_kernel, pointwise_kernel, bias = separable.get_weights()
        depthwise = keras.layers.DepthwiseConv2D(k, strides=stride, padding="same",
                                                 depth_multiplier=multiplier, use_bias=False)  # fmt: skip
        pointwise = keras.layers.Conv2D(n, 1)
        pointwise.build(depthwise.compute_output_shape(x.shape))
        depthwise.build(x.shape)
        depthwise.set_weights([depthwise_kernel])
        pointwise.set_weights([pointwise_kernel, bias])
        worst = max(
            worst, float(np.abs(pointwise(depthwise(x)).numpy() - expected).max())
        )
    return {"cases": 3, "max_abs_diff": worst}


def _layer_model(layer, shape):
    """A model of the single `layer` on inputs of `shape`."""
    return keras.Sequential([keras.Input(shape), layer])


def separable_costs(config: Config) -> dict:
    """Parameters and multiply-adds: formulas against count_params() and the profiler.

    Args:
        config: the input size `conv_size`, the `kernel_sizes` and the
            `channels` (in and out).
    """
    h = config.conv_size
    rows, mismatches = [], 0
    for k, m, n in itertools.product(
        config.kernel_sizes, config.channels, config.channels
    ):
        shape = (h, h, m)
        standard = _layer_model(
            keras.layers.Conv2D(n, k, padding="same", use_bias=False), shape
        )
        separable = _layer_model(
            keras.layers.SeparableConv2D(n, k, padding="same", use_bias=False), shape
        )
        p_std, p_sep = (
            theory.conv_params(k, m, n, bias=False),
            theory.separable_params(k, m, n, bias=False),
        )
        mac_std, mac_sep = (
            theory.conv_macs(h, h, k, m, n),
            theory.separable_macs(h, h, k, m, n),
        )
        flops_std, flops_sep = (
            theory.graph_flops(standard, shape),
            theory.graph_flops(separable, shape),
        )
        checks = [standard.count_params() == p_std, separable.count_params() == p_sep,
                  flops_std == 2 * mac_std, flops_sep == 2 * mac_sep]  # fmt: skip
        mismatches += not all(checks)
        rows.append([k, m, n, p_std, p_sep, mac_std, mac_sep, flops_std, flops_sep,
                     round(p_sep / p_std, 4), round(theory.separable_cost_ratio(k, n), 4)])  # fmt: skip
    columns = ["k", "M", "N", "params standard", "params separable", "MACs standard",
               "MACs separable", "profiler FLOPs standard", "profiler FLOPs separable",
               "measured ratio", "1/N + 1/k²"]  # fmt: skip
    return {"cases": len(rows), "mismatches": mismatches, "input_size": h,
            "table": {"columns": columns, "rows": rows},
            "page_table": {"columns": [columns[i] for i in (0, 1, 2, 3, 4, 5, 6, 9, 10)],
                           "rows": [[f"{r[i]:,}" if isinstance(r[i], int) else r[i] for i in (0, 1, 2, 3, 4, 5, 6, 9, 10)]
                                    for r in rows if r[1] == r[2]]}}  # fmt: skip


def run_theory_checks(config: Config, root: Path) -> None:
    """Every check of B2.2, B2.3 and B2.5, written under `root` (b2-2, b2-3, b2-5).

    Args:
        config: the draws and grids.
        root: the results folder.
    """
    # Without op determinism: with it, TensorFlow replaces its fused softmax
    # cross-entropy kernel (whose gradient B2.2 examines) by log_softmax.
    set_seed(config.seed, deterministic=False)
    rng = np.random.default_rng(config.seed)

    started = time.perf_counter()
    softmax = softmax_checks(config, rng)
    write_result("b2-2", "softmax", softmax, config=config, seed=config.seed,
                 wall_seconds=time.perf_counter() - started, root=root)  # fmt: skip
    print(
        f"B2.2 softmax/cross-entropy vs GradientTape: max |diff| {softmax['max_abs_diff']}"
    )

    started = time.perf_counter()
    results, runs = least_squares_checks(config, rng)
    write_result("b2-3", "least_squares", {"designs": results}, config=config, seed=config.seed,
                 wall_seconds=time.perf_counter() - started, root=root)  # fmt: skip
    save_figure(plot_gradient_descent(runs), "b2-3", "gradient_descent", root=root)
    print(f"B2.3 full rank: normal vs lstsq {results['full_rank']['normal_vs_lstsq']:.2e}, "
          f"GD vs solution {results['full_rank']['gd_vs_solution']:.2e}")  # fmt: skip

    started = time.perf_counter()
    separable = {"equality": separable_equality(rng), "costs": separable_costs(config)}
    write_result("b2-5", "separable", separable, config=config, seed=config.seed,
                 wall_seconds=time.perf_counter() - started, root=root)  # fmt: skip
    print(
        f"B2.5 separable == depthwise + 1x1: max |diff| {separable['equality']['max_abs_diff']:.2e}; "
        f"{separable['costs']['cases']} cost cases, {separable['costs']['mismatches']} mismatches"
    )


def main(args: argparse.Namespace) -> None:
    """Runs the checks from the options of `scripts/set_b_theory.py`.

    Args:
        args: `seed`, `trials`, `quick` and `results_dir`.
    """
    config = Config(seed=args.seed, trials=args.trials)
    run_theory_checks(config.quick() if args.quick else config, results_root(args))
