"""The set D study: cached training runs, learning-rate tuning, and the D4 order study.

A `Study` runs the D1 network for an experiment configuration `cfg` (any
object with the attributes of `scripts/train_scratch.py`'s `Config`) and
writes one result file per seeded run, `<result_id>/<name>.json`, holding the
run's settings and history. A run whose file already holds the same settings
is read back instead of rerun, so an interrupted study resumes where it
stopped, and two processes can share the work (`optimizers` split).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from tfcnn.answers.set_d import experiment as ex
from tfcnn.answers.set_d.figures import error_records, summary_cell, tuning_figure
from tfcnn.plots import new_figure, plot_curves
from tfcnn.results import save_figure, set_seed, write_result
from tfcnn.scratch.optimizers import OPTIMIZERS
from tfcnn.scratch.train import ORDERS


def setting_key(optimizer: str, batch_size: int) -> str:
    """ "sgd-bs10": how result files and tables name an (optimizer, batch size)."""
    return f"{optimizer}-bs{batch_size}"


def next_rate(rate: float, up: bool) -> float:
    """The neighbour of `rate` on the 1-3-10 grid: 0.1 -> 0.3 -> 1 up, 0.1 -> 0.03 down."""
    mantissa = rate / 10 ** np.floor(np.log10(rate))
    if up:
        factor = 3.0 if mantissa < 2 else 10 / 3
    else:
        factor = 1 / 3 if mantissa > 2 else 0.3
    return float(f"{rate * factor:.1g}")


def split_key(key: str) -> tuple[str, int]:
    """The inverse of `setting_key`."""
    optimizer, batch_size = key.split("-bs")
    return optimizer, int(batch_size)


class Study:
    """Seeded, cached runs of the D1 network on the set D data.

    Args:
        cfg: the experiment configuration (epochs, optimizers, batch_sizes,
            seeds, tuning_seeds, rates, grid_extensions, val_fraction, split_seed,
            train_per_class, test_per_class, data_seed, target_accuracy, ...).
        root: the results folder.
    """

    def __init__(self, cfg, root: Path):
        self.cfg, self.root = cfg, Path(root)
        data = ex.load_data(cfg.train_per_class, cfg.test_per_class, cfg.data_seed)
        self.fit, self.val = ex.validation_split(data, cfg.val_fraction, cfg.split_seed)
        self.full = (data.x_train, data.y_train)
        self.test = (data.x_test, data.y_test)

    def write(self, result_id, name, data, seed=None, wall=None) -> Path:
        """`write_result` with this study's configuration and folder."""
        return write_result(
            result_id,
            name,
            data,
            config=self.cfg,
            seed=seed,
            wall_seconds=wall,
            root=self.root,
        )

    def run(self, result_id: str, name: str, spec: dict, tuning: bool = False) -> dict:
        """One seeded `experiment.run(**spec)`, cached in `<result_id>/<name>.json`.

        Args:
            result_id: where the result goes (`docs/results/<result_id>/`).
            name: the result's file name, without `.json`.
            spec: optimizer, learning_rate, batch_size, seed (and optionally order).
            tuning: train on the 80 % split and evaluate on it ("fit") and on the
                validation images ("val"), instead of training on all training
                images and evaluating on them ("train") and the test images.
                Defaults to False.
        """
        cfg = self.cfg
        data = [
            cfg.train_per_class,
            cfg.test_per_class,
            cfg.data_seed,
            cfg.val_fraction,
            cfg.split_seed,
        ]
        record = {**spec, "epochs": cfg.epochs, "data": data}
        path = self.root / result_id / f"{name}.json"
        if path.exists():
            stored = json.loads(path.read_text())
            if stored.get("run") == record:
                return stored["history"]
        if tuning:
            train, evals = self.fit, {"fit": self.fit, "val": self.val}
        else:
            train, evals = self.full, {"train": self.full, "test": self.test}
        set_seed(spec["seed"])
        history = ex.run(*train, evals, epochs=cfg.epochs, progress=name, **spec)
        result = {"run": record, "history": history}
        self.write(result_id, name, result, spec["seed"], history["wall_seconds"])
        final = ", ".join(f"{k} {v:.3f}" for k, v in history["final"].items())
        print(f"{result_id}/{name}: {final}", flush=True)
        return history

    def grid(self, rates: str) -> dict:
        """(optimizer, batch size) -> [history per seed], at "sheet" or "tuned" η."""
        chosen = self.tuning()["chosen"] if rates == "tuned" else None
        out = {}
        for opt in self.cfg.optimizers:
            for bs in self.cfg.batch_sizes:
                key = setting_key(opt, bs)
                lr = chosen[key] if chosen else ex.sheet_learning_rate(opt)
                spec = {"optimizer": opt, "learning_rate": lr, "batch_size": bs}
                out[(opt, bs)] = [
                    self.run("d5/runs", f"{rates}-{key}-seed{s}", {**spec, "seed": s})
                    for s in self.cfg.seeds
                ]
        return out

    def _tuning_runs(self, opt: str, bs: int) -> dict:
        """learning rate -> [history per tuning seed] for one optimizer and batch size.

        Starts from `cfg.rates[opt]` plus the sheet's rate. While the best rate
        is at an end of the grid, the grid is extended one step beyond it (up to
        `cfg.grid_extensions` times), so that the chosen rate is a maximum
        inside the range tried, not a limit of it.
        """
        spec = {"optimizer": opt, "batch_size": bs}

        def runs_at(lr: float) -> list[dict]:
            return [
                self.run(
                    "d5/tuning",
                    f"{setting_key(opt, bs)}-lr{lr:g}-seed{s}",
                    {**spec, "learning_rate": lr, "seed": s},
                    tuning=True,
                )
                for s in self.cfg.tuning_seeds
            ]

        by_rate = {
            lr: runs_at(lr)
            for lr in sorted({*self.cfg.rates[opt], ex.sheet_learning_rate(opt)})
        }
        for _ in range(self.cfg.grid_extensions):
            best = ex.choose_learning_rate(by_rate)
            if best not in (min(by_rate), max(by_rate)):
                break
            lr = next_rate(best, up=best == max(by_rate))
            by_rate[lr] = runs_at(lr)
        return dict(sorted(by_rate.items()))

    def tune(self) -> dict | None:
        """Runs the tuning grid; with all optimizers, chooses η and writes d5/tuning.

        Returns:
            The tuning result, or None when only some optimizers were run.
        """
        cfg = self.cfg
        runs = {
            (o, b): self._tuning_runs(o, b)
            for o in cfg.optimizers
            for b in cfg.batch_sizes
        }
        if set(cfg.optimizers) != set(OPTIMIZERS):
            print(
                "tuning runs done for a subset of optimizers; run --stage tune "
                "with all of them to choose the rates."
            )
            return None
        scores = {
            setting: {
                lr: [ex.tuning_score([h])[0] for h in hs] for lr, hs in by_rate.items()
            }
            for setting, by_rate in runs.items()
        }
        chosen = {
            setting: ex.choose_learning_rate(by_rate)
            for setting, by_rate in runs.items()
        }
        rows = []
        for (opt, bs), best in chosen.items():
            edge = (
                " (grid edge)"
                if best in (min(scores[(opt, bs)]), max(scores[(opt, bs)]))
                else ""
            )
            rows.append(
                [
                    opt,
                    bs,
                    f"{best:g}{edge}",
                    summary_cell(scores[(opt, bs)][best]),
                    summary_cell(scores[(opt, bs)][ex.sheet_learning_rate(opt)]),
                ]
            )
        top = max(chosen, key=lambda s: np.mean(scores[s][chosen[s]]))
        result = {
            "chosen": {setting_key(*s): lr for s, lr in chosen.items()},
            "best": {
                "optimizer": top[0],
                "batch_size": top[1],
                "learning_rate": chosen[top],
                "val_accuracy": ex.mean_std(scores[top][chosen[top]]),
            },
            "table": {
                "columns": [
                    "optimiser",
                    "batch",
                    "tuned η",
                    "val. accuracy (tuned η)",
                    "val. accuracy (sheet's η)",
                ],
                "rows": rows,
            },
            "scores": {
                setting_key(*s): {f"{lr:g}": v for lr, v in by_rate.items()}
                for s, by_rate in scores.items()
            },
        }
        self.write("d5", "tuning", result)
        sheet = {o: ex.sheet_learning_rate(o) for o in cfg.optimizers}
        fig = tuning_figure(scores, chosen, sheet, cfg.optimizers, cfg.batch_sizes)
        save_figure(fig, "d5", "tuning", self.root)
        return result

    def tuning(self) -> dict:
        """The chosen rates (d5/tuning.json), tuning first if they are not there yet."""
        path = self.root / "d5" / "tuning.json"
        result = json.loads(path.read_text()) if path.exists() else self.tune()
        if result is None:
            raise SystemExit(
                "no learning rates chosen yet: run --stage tune with all optimizers."
            )
        return result


def order_study(study: Study) -> dict:
    """D4: the best tuned setting trained with each visiting order, every seed.

    Writes d4/runs/<order>-seed<S>, d4/summary and d4/orders.png.
    """
    best, cfg = study.tuning()["best"], study.cfg
    spec = {k: best[k] for k in ("optimizer", "learning_rate", "batch_size")}
    runs = {
        order: [
            study.run(
                "d4/runs", f"{order}-seed{s}", {**spec, "seed": s, "order": order}
            )
            for s in cfg.seeds
        ]
        for order in ORDERS
    }
    rows = [
        [
            order,
            summary_cell([h["final"]["test_accuracy"] for h in hs]),
            summary_cell([h["final"]["train_accuracy"] for h in hs]),
            summary_cell(
                [h["final"]["train_loss"] for h in hs], percent=False, digits=3
            ),
        ]
        for order, hs in runs.items()
    ]
    fig, axes = new_figure(ncols=2, width=5.0, height=3.4)
    records = {order: [error_records(h) for h in hs] for order, hs in runs.items()}
    plot_curves(
        axes[0],
        records,
        keys=("test_accuracy",),
        x="epoch",
        ylabel="test accuracy",
        ylim=(0, 1),
    )
    plot_curves(
        axes[1],
        records,
        keys=("train_loss",),
        x="epoch",
        ylabel="training cross-entropy",
    )
    axes[1].set_yscale("log")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    save_figure(fig, "d4", "orders", study.root)
    result = {
        "setting": best,
        "table": {
            "columns": [
                "order",
                "test accuracy",
                "train accuracy",
                "train cross-entropy",
            ],
            "rows": rows,
        },
        "final_test_accuracy": {
            o: ex.mean_std([h["final"]["test_accuracy"] for h in hs])
            for o, hs in runs.items()
        },
    }
    study.write("d4", "summary", result)
    return result
