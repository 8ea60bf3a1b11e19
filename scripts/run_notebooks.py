"""Executes the walkthrough notebooks in place, so that the site shows fresh outputs.

Runs every cell of each notebook (by default all of `docs/notebooks/*.ipynb`)
in a fresh Python kernel, from the notebook's folder, and stops at the first
cell that raises. TensorFlow's start-up messages on stderr (oneDNN, CUDA,
CPU-instruction notices) are dropped from the saved outputs; any other stderr
output is kept. The notebooks need the data sets: set `TFCNN_DATA_DIR`.

This is `jupyter nbconvert --to notebook --execute --inplace` plus that
clean-up; the site does not execute notebooks when it is built.

    TFCNN_DATA_DIR=/path/to/data nice python scripts/run_notebooks.py
    python scripts/run_notebooks.py docs/notebooks/set-b-softmax.ipynb
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tfcnn.cli import existing_file, positive_int

NOTEBOOKS = Path(__file__).resolve().parents[1] / "docs" / "notebooks"
START_UP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog"
    r"|[IEW]\d{4} \d\d:\d\d:\d+\.\d+ "  # absl/TSL log lines
    r"|To enable the following instructions: "
    r"|.*TqdmWarning: IProgress not found"
    r"|\s*from \.autonotebook import tqdm)"
)


def is_start_up_noise(output) -> bool:
    """A stderr stream output made only of TensorFlow/absl start-up lines."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return False
    lines = [line for line in output.get("text", "").splitlines() if line.strip()]
    return all(START_UP_NOISE.match(line) for line in lines)


def execute(path: Path, timeout: int) -> float:
    """Runs `path` in place; returns the wall time in seconds."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - started
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not is_start_up_noise(o)]
    nbformat.write(notebook, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=existing_file,
        help="notebooks to run (default: every docs/notebooks/*.ipynb)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_int,
        default=600,
        help="seconds one cell may take before the run fails (default: 600)",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        parser.error(f"no notebooks found in {NOTEBOOKS}")
    for path in paths:
        if not path.exists():
            parser.error(f"{path} does not exist")
        print(f"running {path} ...", flush=True)
        print(f"  done in {execute(path, args.timeout):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
