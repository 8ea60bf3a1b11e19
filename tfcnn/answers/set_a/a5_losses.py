"""Set A, A5: four loss functions, and which can stand in for the 0-1 loss.

The regression losses (MSE, MAE, Huber) against the residual and the
classification losses against the margin m = y f(x), beside the 0-1 loss;
which margin losses lie above the 0-1 loss, and their slope at m = 0 (the
calibration condition); and the one constant that best fits data with an
outlier under MSE, MAE and Huber.

Writes `<root>/a5/losses.json` and `<root>/a5/losses.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
from scipy import optimize

from tfcnn import cli
from tfcnn.analysis.losses import (
    MARGIN_LOSSES,
    huber,
    mae,
    margin_curves,
    mse,
    slope_at_zero,
)
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, write_result


@dataclasses.dataclass
class Config:
    """The settings of A5.

    Args:
        margin_range: the margins plotted and checked. Defaults to (-2, 3).
        points: margins in that range. Defaults to 2001.
        outlier_data: the data fitted by one constant, its last value an
            outlier. Defaults to (1, 2, 3, 4, 100).
        huber_delta: Huber's threshold. Defaults to 1.
        wide_huber_delta: a threshold above most residuals. Defaults to 10.
        seed: the seed (nothing here is random). Defaults to 0.
    """

    margin_range: tuple = (-2.0, 3.0)
    points: int = 2001
    outlier_data: tuple = (1.0, 2.0, 3.0, 4.0, 100.0)
    huber_delta: float = 1.0
    wide_huber_delta: float = 10.0
    seed: int = 0

    def quick(self) -> Config:
        """The smoke run: the same computation (it takes seconds)."""
        return dataclasses.replace(self)


def best_constant(loss, data) -> float:
    """The constant c that minimises `loss(data, c)`, searched between min and max.

    Args:
        loss: a loss `loss(y, y_hat)` of two arrays.
        data: the values fitted.
    """
    data = np.asarray(data)
    return float(
        optimize.minimize_scalar(
            lambda c: loss(data, np.full_like(data, c)),
            bounds=(data.min(), data.max()),
            method="bounded",
            options={"xatol": 1e-9},
        ).x
    )


def margin_table(curves: dict) -> dict:
    """Per margin loss: is it above the 0-1 loss, its slope at 0, is it calibrated.

    Args:
        curves: `tfcnn.analysis.losses.margin_curves` of a range of margins.
    """
    rows = []
    for name in MARGIN_LOSSES:
        if name == "0-1":
            continue
        gap = float((curves[name] - curves["0-1"]).min())
        slope = slope_at_zero(name)
        rows.append(
            [
                name,
                "yes" if gap >= -1e-12 else f"no (min gap {gap:.2f})",
                f"{slope:.3f}",
                "yes" if slope < 0 else "no",
            ]
        )
    return {
        "columns": [
            "margin loss φ(m)",
            "φ(m) ≥ 1[m ≤ 0] everywhere?",
            "φ'(0)",
            "calibrated (convex, φ'(0) < 0)?",
        ],
        "rows": rows,
    }


def outlier_fits(data: np.ndarray, huber_delta: float, wide_delta: float) -> dict:
    """The best constant under MSE, MAE and Huber at two thresholds.

    Args:
        data: the values fitted.
        huber_delta: the first Huber threshold.
        wide_delta: the second one.

    Returns:
        Loss name -> its best constant.
    """
    return {
        "MSE (→ mean)": best_constant(mse, data),
        "MAE (→ median)": best_constant(mae, data),
        **{
            f"Huber, δ = {delta:g}": best_constant(
                lambda y, c, delta=delta: huber(y, c, delta), data
            )
            for delta in (huber_delta, wide_delta)
        },
    }


def plot_losses(m: np.ndarray, curves: dict, huber_delta: float):
    """Regression losses against the residual, margin losses against the margin.

    Args:
        m: the margins plotted.
        curves: the margin losses at `m`, by name.
        huber_delta: the threshold of the Huber curve.
    """
    fig, (left, right) = new_figure(ncols=2, width=5.0, height=3.6)
    r = np.linspace(-3, 3, 601)
    left.plot(r, r**2, label="MSE: r²")
    left.plot(r, np.abs(r), label="MAE: |r|")
    left.plot(
        r, [huber(0.0, v, huber_delta) for v in r], label=f"Huber, δ = {huber_delta:g}"
    )
    left.set(
        xlabel="residual r = y − ŷ",
        ylabel="loss of one example",
        ylim=(0, 4.5),
        title="regression losses",
    )
    left.legend(fontsize=8)
    for name, values in curves.items():
        # Hinge equals the absolute loss for m <= 1: dashed, so both show.
        style = {
            "0-1": dict(color="black", lw=2.2),
            "hinge": dict(ls="--", lw=2.2, zorder=3),
        }.get(name, {})
        right.plot(m, values, label=name, **style)
    right.axvline(0, color="grey", lw=0.7)
    right.set(
        xlabel="margin m = y·f(x)  (m ≤ 0: wrong)",
        ylabel="loss",
        ylim=(0, 4.5),
        title="classification losses vs the 0-1 loss",
    )
    right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return fig


def run_losses(config: Config, root: Path) -> None:
    """Writes `a5/losses.json` (margin and outlier tables) and `a5/losses.png`.

    Args:
        config: the settings.
        root: the results folder.
    """
    started = time.perf_counter()
    m = np.linspace(*config.margin_range, config.points)
    curves = margin_curves(m)
    data = np.array(config.outlier_data)
    fits = outlier_fits(data, config.huber_delta, config.wide_huber_delta)
    fit_rows = [[name, f"{c:.2f}"] for name, c in fits.items()]
    fit_rows.append(["without the outlier (any of them)", f"{np.mean(data[:-1]):.2f}"])
    write_result(
        "a5",
        "losses",
        {
            "margin_table": margin_table(curves),
            "outlier_table": {"columns": ["loss", "best constant c"], "rows": fit_rows},
            "outlier_data": data,
            "fits": fits,
        },
        config=config,
        seed=config.seed,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    save_figure(plot_losses(m, curves, config.huber_delta), "a5", "losses", root=root)


def main(args: argparse.Namespace) -> None:
    """Runs A5 from the options of `scripts/set_a_losses.py`."""
    config = Config(seed=args.seed)
    if args.quick:
        config = config.quick()
    root = cli.results_root(args)
    run_losses(config, root)
    print(f"wrote {root / 'a5'}")
