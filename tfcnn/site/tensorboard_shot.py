"""The site's TensorBoard screenshot: a real run's scalars, as a reader sees them.

`main` (`scripts/tensorboard_screenshot.py`) writes TensorBoard runs with a
smoke run of `scripts/train_mnist_deep.py --tensorboard` unless given a folder
of runs, serves them with a `tensorboard` process on a free local port,
waits until the scalars are drawn in headless Chromium, saves the window as
`<results>/tensorboard/tensorboard.png` and stops the process.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tfcnn.cli import results_root
from tfcnn.results import REPO_ROOT, atomic_write

CHROMIUM = os.environ.get("TFCNN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TFCNN_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1200, 1300)
# TensorBoard's stored settings: the records as written (no smoothing, every point
# in the chart), no settings pane.
SETTINGS = {
    "scalarSmoothing": 0,
    "ignoreOutliers": False,
    "timeSeriesSettingsPaneOpened": False,
}
# The charts of the time-series dashboard, once they have drawn their lines.
CHARTS_DRAWN = "return document.querySelectorAll('scalar-card line-chart path, scalar-card line-chart canvas').length"


def free_port() -> int:
    """A TCP port that no process listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, fix: str, timeout: float = 120.0):
    """`check()`'s first true value, polled every half second.

    Raises:
        TimeoutError: none within `timeout` seconds; the message says `what`
            did not happen and `fix`.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s. Fix: {fix}.")


def serve(log_dir: Path, port: int) -> subprocess.Popen:
    """A `tensorboard` process serving `log_dir` on 127.0.0.1:`port`, once it lists runs."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(log_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = f"http://127.0.0.1:{port}/data/runs"
    try:
        wait_for(
            lambda: json.load(urllib.request.urlopen(runs, timeout=5)),
            "TensorBoard listing the runs",
            f"check that `tensorboard` is installed and {log_dir} holds event files",
        )
    except BaseException:
        process.kill()
        raise
    return process


def capture(url: str) -> bytes:
    """A PNG of `url` in headless Chromium, once its scalar charts are drawn."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            driver.get(url)
            driver.execute_script(
                "localStorage.setItem('_tb_global_settings', arguments[0])",
                json.dumps(SETTINGS),
            )
            driver.refresh()
            wait_for(
                lambda: driver.execute_script(CHARTS_DRAWN),
                "TensorBoard drawing the scalars",
                "check that the runs hold scalars and that Chromium starts",
            )
            time.sleep(2)  # the charts' last layout pass
            return driver.get_screenshot_as_png()
        finally:
            driver.quit()


def main(args: argparse.Namespace) -> None:
    """Writes the screenshot; options of `scripts/tensorboard_screenshot.py`.

    Args:
        args: `logdir` (None: a smoke run is trained into a fresh folder
            first), `quick` and `results_dir`.
    """
    with tempfile.TemporaryDirectory() as fresh:
        log_dir = args.logdir
        if log_dir is None:
            log_dir = Path(fresh)
            script = ["scripts/train_mnist_deep.py", "--quick"]
            subprocess.run(
                [sys.executable, *script, "--tensorboard", str(log_dir)],
                cwd=REPO_ROOT,
                check=True,
            )
        port = free_port()
        process = serve(log_dir, port)
        try:
            png = capture(f"http://127.0.0.1:{port}/#timeseries")
        finally:
            process.terminate()
            process.wait(timeout=30)
    path = results_root(args) / "tensorboard" / "tensorboard.png"
    atomic_write(path, lambda tmp: tmp.write_bytes(png))
    print(f"wrote {path}")
