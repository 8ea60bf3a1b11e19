"""Set D, D3 and D5: the study's settings, data, seeded runs and learning-rate tuning.

Data: 1,000 MNIST training images (100 per class) and 100 test images (10
per class), drawn stratified with one seed; the same 100 test images serve
every run and every figure. D3 asks for three optimisers at the sheet's
settings (`SHEET_SETTINGS`) and several mini-batch sizes; the study also tunes
η for each (optimiser, batch size) on a stratified validation split of the
1,000 training images (the test images never choose anything), extending the
grid past an end while the best rate sits there.

A `Study` writes one result file per seeded run, `<result_id>/<name>.json`,
holding the run's settings and history. A run whose file already holds the
same settings is read back instead of rerun, so an interrupted study resumes
where it stopped, and two processes can share the work (`optimizers` split).
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from tfcnn.data import load_mnist, stratified_indices, train_val_split
from tfcnn.data.pipeline import to_float
from tfcnn.plots import new_figure
from tfcnn.results import result_path, save_figure, set_seed, write_result
from tfcnn.results.bounded import read_json
from tfcnn.results.summary import mean_std
from tfcnn.scratch import OPTIMIZERS, build_network, make_optimizer, train
from tfcnn.scratch.train import history_records
from tfcnn.training.callbacks.tensorboard import ScalarEvents

# The optimiser settings the exercise sheet prescribes (question D3).
SHEET_SETTINGS = {
    "sgd": {"learning_rate": 1e-3},
    "momentum": {"learning_rate": 1e-3, "alpha": 0.9},
    "rmsprop": {"learning_rate": 1e-3, "rho": 0.9},
}


@dataclasses.dataclass
class Config:
    """Everything that defines the study (saved with every result).

    Attributes:
        epochs: epochs per run (default: 15).
        optimizers: the optimisers trained (default: all three).
        batch_sizes: mini-batch sizes (default: 1, 10, 32, 100).
        seeds: seeds of weights and shuffling of the final runs (default: 0 1 2).
        tuning_seeds: seeds of the tuning runs (default: 100, 101).
        rates: the tuning grid per optimiser; the sheet's η is always added.
        grid_extensions: steps beyond a grid end while the best rate is at one
            (default: 2).
        val_fraction: the validation share of the training images (default: 0.2).
        split_seed: the draw of the validation split (default: 0).
        train_per_class: training images per digit (default: 100).
        test_per_class: test images per digit (default: 10).
        data_seed: the draw of both subsets (default: 0).
        map_classes: digits whose activation maps are shown (default: 2, 5, 7).
        target_accuracy: the test accuracy the best setting should reach
            (default: 0.85).
    """

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
    grid_extensions: int = 2
    val_fraction: float = 0.2
    split_seed: int = 0
    train_per_class: int = 100
    test_per_class: int = 10
    data_seed: int = 0
    map_classes: tuple = (2, 5, 7)
    target_accuracy: float = 0.85

    def quick(self) -> Config:
        """The smoke run: 2 epochs, batch sizes 10 and 100, one seed of each kind,
        200 training images, the third and fifth rate of each grid."""
        return dataclasses.replace(
            self,
            epochs=2,
            batch_sizes=(10, 100),
            seeds=self.seeds[:1],
            tuning_seeds=self.tuning_seeds[:1],
            rates={name: grid[2:5:2] for name, grid in self.rates.items()},
            train_per_class=20,
        )


@dataclasses.dataclass(frozen=True)
class SetDData:
    """Float32 NHWC images in [0, 1], integer labels, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_indices: np.ndarray  # into the 60,000 MNIST training images
    test_indices: np.ndarray  # into the 10,000 MNIST test images


def load_data(
    train_per_class: int = 100, test_per_class: int = 10, seed: int = 0, data_dir=None
) -> SetDData:
    """The stratified MNIST subsets of set D.

    Args:
        train_per_class: training images per digit. Defaults to 100.
        test_per_class: test images per digit. Defaults to 10.
        seed: the draw of both subsets. Defaults to 0.
        data_dir: where MNIST is (see `tfcnn.data`). Defaults to the usual search.
    """
    mnist = load_mnist(data_dir=data_dir)
    train_idx = stratified_indices(mnist.y_train, train_per_class, seed)
    test_idx = stratified_indices(mnist.y_test, test_per_class, seed)
    return SetDData(
        to_float(mnist.x_train[train_idx]),
        mnist.y_train[train_idx].astype(np.int64),
        to_float(mnist.x_test[test_idx]),
        mnist.y_test[test_idx].astype(np.int64),
        train_idx,
        test_idx,
    )


def sheet_learning_rate(optimizer: str) -> float:
    """The learning rate the sheet prescribes for `optimizer`."""
    return SHEET_SETTINGS[optimizer]["learning_rate"]


def run(
    x_train,
    y_train,
    eval_sets: dict,
    *,
    optimizer: str,
    learning_rate: float | None = None,
    batch_size: int = 32,
    epochs: int = 15,
    seed: int = 0,
    order: str = "reshuffle",
    on_epoch_end=None,
    progress: bool | str = False,
) -> dict:
    """Builds the set D network from `seed`, trains it, and returns its history.

    With `--tensorboard`, the epochs' records are then written there too, as
    the run `scratch_<optimizer>` (`tfcnn.training.callbacks.tensorboard`).

    Args:
        x_train: training images.
        y_train: their labels.
        eval_sets: name -> (images, labels), evaluated every epoch.
        optimizer: "sgd", "momentum" or "rmsprop", at the sheet's settings.
        learning_rate: η; None for the sheet's (0.001). Defaults to None.
        batch_size: defaults to 32.
        epochs: defaults to 15.
        seed: the initial weights and the shuffling. Defaults to 0.
        order: "reshuffle", "fixed" or "class-sorted". Defaults to "reshuffle".
        on_epoch_end: see `tfcnn.scratch.train`. Defaults to None.
        progress: a tqdm label, or False. Defaults to False.

    Returns:
        The history of `train` plus "final" (the last value of every recorded
        series), "network" (its build config) and "wall_seconds".
    """
    hyper = dict(SHEET_SETTINGS[optimizer])
    if learning_rate is not None:
        hyper["learning_rate"] = learning_rate
    network = build_network(seed=seed)
    start = time.perf_counter()
    history = train(
        network,
        make_optimizer(optimizer, **hyper),
        x_train,
        y_train,
        eval_sets,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        order=order,
        on_epoch_end=on_epoch_end,
        progress=progress,
    )
    history["wall_seconds"] = time.perf_counter() - start
    events = ScalarEvents.for_run(f"scratch_{optimizer}")
    if events is not None:  # --tensorboard: the epochs' records, once trained
        for record in history_records(history):
            for name in eval_sets:
                metrics = {m: record[f"{name}_{m}"] for m in ("accuracy", "loss")}
                events.write(record["epoch"], name, metrics)
        events.close()
    history["network"] = network.config
    history["final"] = {
        key: values[-1]
        for key, values in history.items()
        if key.endswith(("_loss", "_accuracy"))
    }
    return history


def tuning_score(histories: list[dict]) -> tuple[float, float]:
    """(mean final validation accuracy, -mean final validation loss) over seeds.

    Larger is better, so `max` picks the best rate; a diverged run scores
    (0, -inf).
    """
    accuracies, losses = [], []
    for history in histories:
        if history.get("diverged"):
            accuracies.append(0.0)
            losses.append(math.inf)
        else:
            accuracies.append(history["final"]["val_accuracy"])
            losses.append(history["final"]["val_loss"])
    return float(np.mean(accuracies)), -float(np.mean(losses))


def choose_learning_rate(runs_by_rate: dict[float, list[dict]]) -> float:
    """The rate with the best `tuning_score` (validation accuracy, then loss)."""
    if not runs_by_rate:
        raise ValueError("runs_by_rate is empty: tune over at least one learning rate.")
    return max(runs_by_rate, key=lambda rate: tuning_score(runs_by_rate[rate]))


def next_rate(rate: float, up: bool) -> float:
    """The neighbour of `rate` on the 1-3-10 grid: 0.1 -> 0.3 -> 1 up, 0.1 -> 0.03 down."""
    mantissa = rate / 10 ** np.floor(np.log10(rate))
    if up:
        factor = 3.0 if mantissa < 2 else 10 / 3
    else:
        factor = 1 / 3 if mantissa > 2 else 0.3
    return float(f"{rate * factor:.1g}")


def setting_key(optimizer: str, batch_size: int) -> str:
    """ "sgd-bs10": how result files and tables name an (optimizer, batch size)."""
    return f"{optimizer}-bs{batch_size}"


def summary_cell(values, percent: bool = True, digits: int = 1) -> str:
    """ "mean ± std" of some numbers as text (percent by default), for a table cell."""
    stats = mean_std(values)
    scale, unit = (100.0, " %") if percent else (1.0, "")
    return (
        f"{scale * stats['mean']:.{digits}f} ± {scale * stats['std']:.{digits}f}{unit}"
    )


def error_records(history: dict) -> list[dict]:
    """Per-epoch records plus "<set>_error" = 1 - accuracy (misclassification rate)."""
    records = history_records(history)
    for record in records:
        for key in [k for k in record if k.endswith("_accuracy")]:
            record[key.replace("_accuracy", "_error")] = 1.0 - record[key]
    return records


class Study:
    """Seeded, cached runs of the set D network on the set D data.

    Args:
        cfg: the study's `Config`.
        root: the results folder.
    """

    def __init__(self, cfg: Config, root: Path):
        self.cfg, self.root = cfg, Path(root)
        data = load_data(cfg.train_per_class, cfg.test_per_class, cfg.data_seed)
        self.fit, self.val = train_val_split(
            data.x_train, data.y_train, cfg.val_fraction, cfg.split_seed
        )
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
        """One seeded `run(**spec)`, cached in `<result_id>/<name>.json`.

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
        path = result_path(result_id, name, self.root)
        if path.exists():
            stored = read_json(path)
            if stored.get("run") == record:
                return stored["history"]
        if tuning:
            images, evals = self.fit, {"fit": self.fit, "val": self.val}
        else:
            images, evals = self.full, {"train": self.full, "test": self.test}
        set_seed(spec["seed"])
        history = run(*images, evals, epochs=cfg.epochs, progress=name, **spec)
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
                lr = chosen[key] if chosen else sheet_learning_rate(opt)
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
            for lr in sorted({*self.cfg.rates[opt], sheet_learning_rate(opt)})
        }
        for _ in range(self.cfg.grid_extensions):
            best = choose_learning_rate(by_rate)
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
                lr: [tuning_score([h])[0] for h in hs] for lr, hs in by_rate.items()
            }
            for setting, by_rate in runs.items()
        }
        chosen = {
            setting: choose_learning_rate(by_rate) for setting, by_rate in runs.items()
        }
        result = tuning_summary(scores, chosen)
        self.write("d5", "tuning", result)
        sheet = {o: sheet_learning_rate(o) for o in cfg.optimizers}
        fig = tuning_figure(scores, chosen, sheet, cfg.optimizers, cfg.batch_sizes)
        save_figure(fig, "d5", "tuning", self.root)
        return result

    def tuning(self) -> dict:
        """The chosen rates (d5/tuning.json), tuning first if they are not there yet."""
        path = self.root / "d5" / "tuning.json"
        result = read_json(path) if path.exists() else self.tune()
        if result is None:
            raise ValueError(
                "no learning rates chosen yet: run --stage tune with all optimizers."
            )
        return result


def tuning_summary(scores: dict, chosen: dict) -> dict:
    """The chosen η per setting, the best setting, a table and every score.

    Args:
        scores: (optimizer, batch size) -> {rate: [final validation accuracy per seed]}.
        chosen: (optimizer, batch size) -> the chosen rate.
    """
    rows = []
    for (opt, bs), best in chosen.items():
        by_rate = scores[(opt, bs)]
        edge = " (grid edge)" if best in (min(by_rate), max(by_rate)) else ""
        rows.append(
            [
                opt,
                bs,
                f"{best:g}{edge}",
                summary_cell(by_rate[best]),
                summary_cell(by_rate[sheet_learning_rate(opt)]),
            ]
        )
    top = max(chosen, key=lambda s: np.mean(scores[s][chosen[s]]))
    return {
        "chosen": {setting_key(*s): lr for s, lr in chosen.items()},
        "best": {
            "optimizer": top[0],
            "batch_size": top[1],
            "learning_rate": chosen[top],
            "val_accuracy": mean_std(scores[top][chosen[top]]),
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


def tuning_figure(
    scores: dict, chosen: dict, sheet_rates: dict, optimizers, batch_sizes
):
    """Validation accuracy against η: a panel per optimizer, a line per batch size.

    Args:
        scores: (optimizer, batch size) -> {rate: [final validation accuracy per seed]}.
        chosen: (optimizer, batch size) -> the chosen rate (circled).
        sheet_rates: optimizer -> the sheet's rate (dotted vertical line).
        optimizers: the panels.
        batch_sizes: the lines of each panel.
    """
    fig, axes = new_figure(ncols=len(optimizers), width=4.0, height=3.2)
    for ax, optimizer in zip(np.atleast_1d(axes), optimizers, strict=True):
        for index, batch_size in enumerate(batch_sizes):
            by_rate = scores[(optimizer, batch_size)]
            rates = sorted(by_rate)
            means = [np.mean(by_rate[r]) for r in rates]
            ax.plot(
                rates, means, marker=".", color=f"C{index}", label=f"batch {batch_size}"
            )
            best = chosen[(optimizer, batch_size)]
            ax.plot(
                [best],
                [np.mean(by_rate[best])],
                "o",
                mfc="none",
                ms=10,
                color=f"C{index}",
            )
        ax.axvline(
            sheet_rates[optimizer], color="grey", linestyle=":", label="sheet's η"
        )
        ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_xlabel("learning rate η")
        ax.set_ylabel("validation accuracy after the last epoch")
        ax.set_title(optimizer)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
