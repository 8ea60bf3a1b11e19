"""Set A, question A5: four loss functions, and which can stand in for the 0-1 loss.

Plots the regression losses (MSE, MAE, Huber) against the residual and the
classification losses against the margin m = y f(x), beside the 0-1 loss;
checks numerically which margin losses lie above the 0-1 loss and their slope
at m = 0 (the calibration condition); and fits one constant to data with an
outlier under MSE, MAE and Huber, to show what "robust to outliers" means.

Writes `docs/results/a5/losses.json` and `docs/results/a5/losses.png`.

    python scripts/set_a_losses.py
    python scripts/set_a_losses.py --quick     # same, written under runs/quick
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
from scipy import optimize

from tfcnn.analysis.losses import (
    MARGIN_LOSSES,
    huber,
    mae,
    margin_curves,
    mse,
    slope_at_zero,
)
from tfcnn.cli import add_output_arguments, non_negative_int, results_root
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, write_result


@dataclasses.dataclass
class Config:
    margin_range: tuple = (-2.0, 3.0)
    points: int = 2001
    outlier_data: tuple = (1.0, 2.0, 3.0, 4.0, 100.0)
    huber_delta: float = 1.0
    wide_huber_delta: float = 10.0
    seed: int = 0
    quick: bool = False


def best_constant(loss, data) -> float:
    """The constant c that minimises loss(data, c)."""
    data = np.asarray(data)
    return float(
        optimize.minimize_scalar(
            lambda c: loss(data, np.full_like(data, c)),
            bounds=(data.min(), data.max()),
            method="bounded",
            options={"xatol": 1e-9},
        ).x
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed (nothing here is random; default: 0)",
    )
    add_output_arguments(parser, "write under runs/quick, not docs/results")
    args = parser.parse_args(argv)
    config = Config(seed=args.seed, quick=args.quick)
    root = results_root(args)
    started = time.perf_counter()

    m = np.linspace(*config.margin_range, config.points)
    curves = margin_curves(m)
    zero_one = curves["0-1"]
    margin_rows = []
    for name in MARGIN_LOSSES:
        if name == "0-1":
            continue
        gap = float((curves[name] - zero_one).min())
        slope = slope_at_zero(name)
        margin_rows.append(
            [
                name,
                "yes" if gap >= -1e-12 else f"no (min gap {gap:.2f})",
                f"{slope:.3f}",
                "yes" if slope < 0 else "no",
            ]
        )
    data = np.array(config.outlier_data)
    fits = {
        "MSE (→ mean)": best_constant(mse, data),
        "MAE (→ median)": best_constant(mae, data),
        f"Huber, δ = {config.huber_delta:g}": best_constant(
            lambda y, c: huber(y, c, config.huber_delta), data
        ),
        f"Huber, δ = {config.wide_huber_delta:g}": best_constant(
            lambda y, c: huber(y, c, config.wide_huber_delta), data
        ),
    }
    fit_rows = [[name, f"{c:.2f}"] for name, c in fits.items()]
    fit_rows.append(["without the outlier (any of them)", f"{np.mean(data[:-1]):.2f}"])
    write_result(
        "a5",
        "losses",
        {
            "margin_table": {
                "columns": [
                    "margin loss φ(m)",
                    "φ(m) ≥ 1[m ≤ 0] everywhere?",
                    "φ'(0)",
                    "calibrated (convex, φ'(0) < 0)?",
                ],
                "rows": margin_rows,
            },
            "outlier_table": {"columns": ["loss", "best constant c"], "rows": fit_rows},
            "outlier_data": data,
            "fits": fits,
        },
        config=config,
        seed=config.seed,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )

    fig, (left, right) = new_figure(ncols=2, width=5.0, height=3.6)
    r = np.linspace(-3, 3, 601)
    left.plot(r, r**2, label="MSE: r²")
    left.plot(r, np.abs(r), label="MAE: |r|")
    left.plot(
        r,
        [huber(0.0, v, config.huber_delta) for v in r],
        label=f"Huber, δ = {config.huber_delta:g}",
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
    save_figure(fig, "a5", "losses", root=root)
    print(f"wrote {root / 'a5'}")


if __name__ == "__main__":
    main()
