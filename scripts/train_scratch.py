"""Set D: the NumPy CNN of tfcnn.scratch, three optimisers, four mini-batch sizes.

Stages (in this order; `all` runs every one; a training run whose result file
already exists with the same settings is read back, not rerun):

  check    D1 parameter table, D3 gradient checks     -> d1/architecture, d3/gradcheck
  tune     η per optimiser and batch size, chosen on a validation split (800/200
           of the 1,000 training images; never the test images)
                                                       -> d5/tuning/*, d5/tuning
  sheet    the sheet's η = 0.001, all 1,000 images, every seed -> d5/runs/sheet-*
  tuned    the tuned η                                 -> d5/runs/tuned-*
  summary  tables and curves of D5                    -> d5/summary, d5/*.png
  orders   D4: reshuffled / fixed / class-sorted order at the best setting -> d4/*
  maps     D5 activation maps and D6 t-SNE at the best setting
                                                       -> d5/activation_maps*.png, d6/*

    OMP_NUM_THREADS=1 nice -n 10 python scripts/train_scratch.py   # everything
    python scripts/train_scratch.py --stage tune sheet             # some stages
    python scripts/train_scratch.py --quick                        # smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from tfcnn import set_seed
from tfcnn.analysis.embedding import embed_and_score
from tfcnn.plots import new_figure, plot_curves
from tfcnn.plots.maps import activation_grid, embedding_figure
from tfcnn.results import results_dir, save_figure, write_result
from tfcnn.scratch import BOTTLENECK, checks
from tfcnn.scratch import experiment as ex
from tfcnn.scratch.report import (
    curves_figure,
    error_records,
    summary_cell,
    time_figure,
    tuning_figure,
)

STAGES = ("check", "tune", "sheet", "tuned", "summary", "orders", "maps")
ORDERS = ("reshuffle", "fixed", "class-sorted")


@dataclasses.dataclass
class Config:
    epochs: int = 15
    optimizers: tuple = ("sgd", "momentum", "rmsprop")
    batch_sizes: tuple = (1, 10, 32, 100)
    seeds: tuple = (0, 1, 2)
    tuning_seeds: tuple = (100, 101)
    rates: dict = dataclasses.field(
        default_factory=lambda: {
            "sgd": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
            "momentum": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
            "rmsprop": (3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        }
    )
    val_fraction: float = 0.2
    split_seed: int = 0
    train_per_class: int = 100
    test_per_class: int = 10
    data_seed: int = 0
    map_classes: tuple = (2, 5, 7)
    target_accuracy: float = 0.85
    quick: bool = False


def quick_config() -> Config:
    return Config(
        epochs=2,
        batch_sizes=(10, 100),
        seeds=(0,),
        tuning_seeds=(100,),
        quick=True,
        rates={"sgd": (1e-2, 1e-1), "momentum": (1e-3, 1e-2), "rmsprop": (3e-4, 1e-3)},
        train_per_class=20,
    )


class Runner:
    """Runs (or reads back) training runs and writes every result under `root`."""

    def __init__(self, cfg: Config, root: Path):
        self.cfg, self.root = cfg, root
        self.data = ex.load_data(cfg.train_per_class, cfg.test_per_class, cfg.data_seed)
        (x_fit, y_fit), (x_val, y_val) = ex.validation_split(
            self.data, cfg.val_fraction, cfg.split_seed
        )
        self.fit, self.val = (x_fit, y_fit), (x_val, y_val)
        self.full = (self.data.x_train, self.data.y_train)
        self.test = (self.data.x_test, self.data.y_test)

    def write(self, result_id, name, data, seed=None, wall=None):
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
        """One seeded `experiment.run(**spec)`, cached in `<result_id>/<name>.json`."""
        path = self.root / result_id / f"{name}.json"
        cfg = self.cfg
        record = {
            **spec,
            "epochs": cfg.epochs,
            "data": [
                cfg.train_per_class,
                cfg.test_per_class,
                cfg.data_seed,
                cfg.val_fraction,
                cfg.split_seed,
            ],
        }
        if path.exists():
            stored = json.loads(path.read_text())
            if stored.get("run") == record:
                return stored["history"]
        train, evals = (
            (self.fit, {"fit": self.fit, "val": self.val})
            if tuning
            else (self.full, {"train": self.full, "test": self.test})
        )
        set_seed(spec["seed"])
        history = ex.run(*train, evals, epochs=self.cfg.epochs, progress=name, **spec)
        self.write(
            result_id,
            name,
            {"run": record, "history": history},
            spec["seed"],
            history["wall_seconds"],
        )
        final = history["final"]
        print(
            f"{result_id}/{name}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in final.items()),
            flush=True,
        )
        return history

    def grid(self, rates: str) -> dict:
        """(optimizer, batch) -> [history per seed], at the sheet's or the tuned η."""
        chosen = self.tuning()["chosen"] if rates == "tuned" else None
        out = {}
        for opt in self.cfg.optimizers:
            for bs in self.cfg.batch_sizes:
                lr = chosen[f"{opt}-bs{bs}"] if chosen else ex.sheet_learning_rate(opt)
                out[(opt, bs)] = [
                    self.run(
                        "d5/runs",
                        f"{rates}-{opt}-bs{bs}-seed{s}",
                        {
                            "optimizer": opt,
                            "learning_rate": lr,
                            "batch_size": bs,
                            "seed": s,
                        },
                    )
                    for s in self.cfg.seeds
                ]
        return out

    def tune(self) -> dict | None:
        cfg, scores, chosen, rows = self.cfg, {}, {}, []
        partial = set(cfg.optimizers) != set(Config().optimizers)
        for opt in cfg.optimizers:
            for bs in cfg.batch_sizes:
                by_rate = {
                    lr: [
                        self.run(
                            "d5/tuning",
                            f"{opt}-bs{bs}-lr{lr:g}-seed{s}",
                            {
                                "optimizer": opt,
                                "learning_rate": lr,
                                "batch_size": bs,
                                "seed": s,
                            },
                            tuning=True,
                        )
                        for s in cfg.tuning_seeds
                    ]
                    for lr in sorted({*cfg.rates[opt], ex.sheet_learning_rate(opt)})
                }
                if partial:
                    continue
                best = ex.choose_learning_rate(by_rate)
                scores[(opt, bs)] = {
                    lr: [ex.tuning_score([h])[0] for h in hs]
                    for lr, hs in by_rate.items()
                }
                chosen[f"{opt}-bs{bs}"] = best
                edge = best in (min(by_rate), max(by_rate))
                rows.append(
                    [
                        opt,
                        bs,
                        f"{best:g}" + (" (grid edge)" if edge else ""),
                        summary_cell(scores[(opt, bs)][best]),
                        summary_cell(scores[(opt, bs)][ex.sheet_learning_rate(opt)]),
                    ]
                )
        if partial:
            print(
                "tuning runs of a subset of optimizers done; run --stage tune without "
                "--optimizers to choose the rates."
            )
            return None
        key = max(chosen, key=lambda k: np.mean(scores[_split_key(k)][chosen[k]]))
        opt, bs = _split_key(key)
        best = {
            "optimizer": opt,
            "batch_size": bs,
            "learning_rate": chosen[key],
            "val_accuracy": ex.mean_std(scores[(opt, bs)][chosen[key]]),
        }
        table = {
            "columns": [
                "optimiser",
                "batch",
                "tuned η",
                "val. accuracy (tuned η)",
                "val. accuracy (sheet's η)",
            ],
            "rows": rows,
        }
        result = {
            "chosen": chosen,
            "best": best,
            "table": table,
            "scores": {
                f"{o}-bs{b}": {f"{lr:g}": v for lr, v in s.items()}
                for (o, b), s in scores.items()
            },
        }
        self.write("d5", "tuning", result)
        sheet = {o: ex.sheet_learning_rate(o) for o in cfg.optimizers}
        chosen_pairs = {_split_key(k): v for k, v in chosen.items()}
        save_figure(
            tuning_figure(scores, chosen_pairs, sheet, cfg.optimizers, cfg.batch_sizes),
            "d5",
            "tuning",
            self.root,
        )
        return result

    def tuning(self) -> dict:
        """The chosen rates (d5/tuning.json), tuning first if they are not there yet."""
        path = self.root / "d5" / "tuning.json"
        result = json.loads(path.read_text()) if path.exists() else self.tune()
        if result is None:
            raise SystemExit(
                "no learning rates chosen yet: run --stage tune without --optimizers."
            )
        return result


def _split_key(key: str) -> tuple[str, int]:
    opt, bs = key.split("-bs")
    return opt, int(bs)


def summary(runner: Runner) -> None:
    cfg, tuning = runner.cfg, runner.tuning()
    grids = {rates: runner.grid(rates) for rates in ("sheet", "tuned")}
    rows, seconds, groups, finals = [], {}, {}, {}
    for opt in cfg.optimizers:
        for bs in cfg.batch_sizes:
            sheet, tuned = grids["sheet"][(opt, bs)], grids["tuned"][(opt, bs)]
            lr = tuning["chosen"][f"{opt}-bs{bs}"]
            groups[(opt, bs)] = {
                f"η={ex.sheet_learning_rate(opt):g} (sheet)": sheet,
                f"η={lr:g} (tuned)": tuned,
            }
            seconds[(opt, bs)] = [
                float(np.median(h["epoch_seconds"])) for h in sheet + tuned
            ]
            acc = {
                r: [h["final"]["test_accuracy"] for h in hs]
                for r, hs in (("sheet", sheet), ("tuned", tuned))
            }
            finals[f"{opt}-bs{bs}"] = {r: ex.mean_std(v) for r, v in acc.items()}
            rows.append(
                [
                    opt,
                    bs,
                    sheet[0]["steps_per_epoch"],
                    summary_cell(acc["sheet"]),
                    summary_cell([h["final"]["train_accuracy"] for h in sheet]),
                    f"{lr:g}",
                    summary_cell(acc["tuned"]),
                    summary_cell([h["final"]["train_accuracy"] for h in tuned]),
                    summary_cell(seconds[(opt, bs)], percent=False, digits=2),
                ]
            )
    best = tuning["best"]
    best_key = f"{best['optimizer']}-bs{best['batch_size']}"
    best_test = finals[best_key]["tuned"]
    result = {
        "table": {
            "columns": [
                "optimiser",
                "batch",
                "steps/epoch",
                "test acc. (η=0.001)",
                "train acc. (η=0.001)",
                "tuned η",
                "test acc. (tuned η)",
                "train acc. (tuned η)",
                "s/epoch",
            ],
            "rows": rows,
        },
        "final_test_accuracy": finals,
        "best": {
            **best,
            "test_accuracy": best_test,
            "target": cfg.target_accuracy,
            "target_met": best_test["mean"] >= cfg.target_accuracy,
        },
        "seconds_per_epoch": {
            f"{o}-bs{b}": ex.mean_std(v) for (o, b), v in seconds.items()
        },
    }
    runner.write("d5", "summary", result)
    for name, keys, label, ylim in (
        (
            "curves_error",
            ("train_error", "test_error"),
            "error rate (1 − accuracy)",
            (0, 1),
        ),
        ("curves_loss", ("train_loss", "test_loss"), "cross-entropy", (0, 2.6)),
    ):
        fig = curves_figure(groups, cfg.optimizers, cfg.batch_sizes, keys, label, ylim)
        save_figure(fig, "d5", name, runner.root)
    save_figure(
        time_figure(seconds, cfg.optimizers, cfg.batch_sizes),
        "d5",
        "time_per_epoch",
        runner.root,
    )
    print(f"best: {best_key} η={best['learning_rate']:g}, test accuracy {best_test}")


def orders(runner: Runner) -> None:
    best, cfg = runner.tuning()["best"], runner.cfg
    runs, rows = {}, []
    for order in ORDERS:
        spec = {k: best[k] for k in ("optimizer", "learning_rate", "batch_size")}
        runs[order] = [
            runner.run(
                "d4/runs", f"{order}-seed{s}", {**spec, "seed": s, "order": order}
            )
            for s in cfg.seeds
        ]
        rows.append(
            [
                order,
                summary_cell([h["final"]["test_accuracy"] for h in runs[order]]),
                summary_cell([h["final"]["train_accuracy"] for h in runs[order]]),
                summary_cell(
                    [h["final"]["train_loss"] for h in runs[order]],
                    percent=False,
                    digits=3,
                ),
            ]
        )
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
    save_figure(fig, "d4", "orders", runner.root)
    runner.write(
        "d4",
        "summary",
        {
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
        },
    )


def maps(runner: Runner) -> None:
    cfg, best = runner.cfg, runner.tuning()["best"]
    x_test, y_test = runner.test
    shown = [int(np.flatnonzero(y_test == c)[0]) for c in cfg.map_classes]
    snapshot_epochs = (0, 1, cfg.epochs)
    table, panels, consistent = [], [], True
    # The best setting and, for contrast, the sheet's vanilla SGD (η = 0.001) at the
    # same batch size.
    settings = (
        ("tuned", best["optimizer"], best["learning_rate"]),
        ("sheet", "sgd", ex.sheet_learning_rate("sgd")),
    )
    for rates, optimizer, lr in settings:
        per_epoch = {e: [] for e in snapshot_epochs}
        for seed in cfg.seeds:
            taken = {}

            def snapshot(epoch, network, taken=taken):
                if epoch in snapshot_epochs:
                    taken[epoch] = network.activations(
                        x_test, ["relu1", "relu2", BOTTLENECK]
                    )

            start = time.perf_counter()
            set_seed(seed)
            history = ex.run(
                *runner.full,
                {"test": runner.test},
                optimizer=optimizer,
                learning_rate=lr,
                batch_size=best["batch_size"],
                epochs=cfg.epochs,
                seed=seed,
                on_epoch_end=snapshot,
                progress=f"maps {rates} seed {seed}",
            )
            stored = (
                runner.root
                / "d5/runs"
                / f"{rates}-{optimizer}-bs{best['batch_size']}-seed{seed}.json"
            )
            if stored.exists():  # the same seeded run as in D5: it must end the same
                final = json.loads(stored.read_text())["history"]["final"]
                consistent &= all(
                    final[k] == history["final"][k]
                    for k in ("test_loss", "test_accuracy")
                )
            scores = {
                e: embed_and_score(taken[e][BOTTLENECK], y_test, seed=seed)
                for e in snapshot_epochs
            }
            for e in snapshot_epochs:
                per_epoch[e].append(
                    {
                        **{
                            f"{space}_{k}": v
                            for space in ("features", "tsne")
                            for k, v in scores[e][space].items()
                        },
                        "test_accuracy": history["test_accuracy"][
                            history["epoch"].index(e)
                        ],
                    }
                )
            runner.write(
                "d6",
                f"{rates}-{optimizer}-seed{seed}",
                {
                    "optimizer": optimizer,
                    "learning_rate": lr,
                    "labels": y_test,
                    "epochs": list(snapshot_epochs),
                    "scores": {
                        str(e): {"features": s["features"], "tsne": s["tsne"]}
                        for e, s in scores.items()
                    },
                    "embedding": {str(e): s["embedding"] for e, s in scores.items()},
                },
                seed=seed,
                wall=time.perf_counter() - start,
            )
            if seed == cfg.seeds[0]:
                fig = activation_grid(
                    x_test[shown],
                    {
                        f"epoch {e}": {
                            k: taken[e][k][shown] for k in ("relu1", "relu2")
                        }
                        for e in (1, cfg.epochs)
                    },
                    titles=[f"digit {y_test[i]}" for i in shown],
                )
                save_figure(
                    fig,
                    "d5",
                    "activation_maps" + ("" if rates == "tuned" else "_sheet"),
                    runner.root,
                )
                panels += [
                    (
                        scores[e]["embedding"],
                        y_test,
                        f"{optimizer}, η={lr:g} ({rates}), epoch {e}\n"
                        f"5-NN acc. {scores[e]['tsne']['knn_accuracy']:.2f}, "
                        f"silhouette {scores[e]['tsne']['silhouette']:.2f}",
                    )
                    for e in snapshot_epochs
                ]
        for e in snapshot_epochs:
            cells = {k: [row[k] for row in per_epoch[e]] for k in per_epoch[e][0]}
            table.append(
                [
                    f"{optimizer}, η={lr:g} ({rates})",
                    e,
                    summary_cell(cells["test_accuracy"]),
                    summary_cell(cells["features_knn_accuracy"]),
                    summary_cell(cells["tsne_knn_accuracy"]),
                    summary_cell(cells["features_silhouette"], percent=False, digits=2),
                    summary_cell(cells["tsne_silhouette"], percent=False, digits=2),
                ]
            )
    save_figure(
        embedding_figure(panels, ncols=len(snapshot_epochs)), "d6", "tsne", runner.root
    )
    runner.write(
        "d6",
        "summary",
        {
            "settings": [
                {
                    "rates": r,
                    "optimizer": o,
                    "learning_rate": lr,
                    "batch_size": best["batch_size"],
                }
                for r, o, lr in settings
            ],
            "consistent_with_d5": consistent,
            "table": {
                "columns": [
                    "setting",
                    "epoch",
                    "test accuracy",
                    "5-NN acc. (49-D)",
                    "5-NN acc. (t-SNE)",
                    "silhouette (49-D)",
                    "silhouette (t-SNE)",
                ],
                "rows": table,
            },
        },
    )


def parse_args(argv=None) -> tuple[Config, list[str], Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stage",
        nargs="+",
        choices=[*STAGES, "all"],
        default=["all"],
        help="which stages to run, in the order listed above (default: all)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help="seeds of weights and shuffling for the final runs (default: 0 1 2)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per run (default: 15)"
    )
    parser.add_argument(
        "--optimizers",
        nargs="+",
        choices=["sgd", "momentum", "rmsprop"],
        default=None,
        help="train only these (to split the runs of the tune/sheet/tuned stages "
        "over two processes); the choice of rates and the summaries need all three "
        "(default: all three)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 epochs, 2 batch sizes, 1 seed, 200 training images; "
        "writes under runs/quick",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help="where to write (default: docs/results; runs/quick/results with --quick)",
    )
    args = parser.parse_args(argv)
    cfg = quick_config() if args.quick else Config()
    if args.seeds:
        cfg.seeds = tuple(args.seeds)
    if args.epochs:
        cfg.epochs = args.epochs
    if args.optimizers:
        cfg.optimizers = tuple(o for o in cfg.optimizers if o in args.optimizers)
    root = args.results_dir or (
        Path("runs/quick/results") if args.quick else results_dir()
    )
    stages = (
        list(STAGES) if "all" in args.stage else [s for s in STAGES if s in args.stage]
    )
    return cfg, stages, root


def main(argv=None) -> None:
    cfg, stages, root = parse_args(argv)
    start = time.perf_counter()
    if "check" in stages:
        runner_free = {
            "d1": ("architecture", checks.architecture),
            "d3": ("gradcheck", checks.gradient_checks),
        }
        for result_id, (name, fn) in runner_free.items():
            set_seed(0)
            write_result(result_id, name, fn(), config=cfg, seed=0, root=root)
    runner = Runner(cfg, root)
    for stage, fn in (
        ("tune", Runner.tune),
        ("sheet", lambda r: r.grid("sheet")),
        ("tuned", lambda r: r.grid("tuned")),
        ("summary", summary),
        ("orders", orders),
        ("maps", maps),
    ):
        if stage in stages:
            print(f"== stage {stage}", flush=True)
            fn(runner)
    print(f"done in {time.perf_counter() - start:.0f} s; results under {root}")


if __name__ == "__main__":
    main()
