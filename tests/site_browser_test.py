"""The built site, opened page by page in headless Chromium.

Builds the site (`mkdocs build --strict`, or uses the one named by
`TFCNN_SITE_DIR`), serves it on localhost and opens every page. A page fails
on a console error, a request answered 404 (or any error status), an image
that did not load, or mathematics left unrendered: an `arithmatex` span
without MathJax output, a MathJax error, or raw TeX (`$$`, `\\(`, `\\frac`,
`$x$`, ...) in the visible text; or a Markdown table left as text. The pages
with figures are also opened in the dark scheme, where figures must sit on a
white background.

A screenshot of each page in each scheme it was opened in is saved under `runs/screenshots/`
(or `$TFCNN_SCREENSHOTS`) for a person to look at; CI lists them.

Headless Chromium sometimes wedges (a capture or a page load that never
returns: seen in CI, after 13-16 pages in one browser, though never when this
file ran alone), so a new browser opens every `PAGES_PER_BROWSER` pages, and
every step is bounded in time: a page that stalls or fails is opened again
in a new browser, and fails the test only if it stalls twice; a screenshot
that stalls is skipped (and printed). The browser is killed, not asked to
quit, when it does not answer.

Needs Chromium and its driver (Debian: `apt-get install chromium
chromium-driver`) and `selenium`; skipped where they are missing.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TFCNN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TFCNN_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("TFCNN_SCREENSHOTS", ROOT / "runs" / "screenshots"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Keep timers and painting running in a tab no one looks at.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--window-size=1280,1000",
]
MAX_SCREENSHOT_HEIGHT = 12000  # CSS pixels; long pages are cut there
SCREENSHOT_SECONDS = 45  # a healthy capture takes 1-3 s on 2 cores
PAGE_SECONDS = 120  # a healthy load and inspection takes 1-8 s on 2 cores
QUIT_SECONDS = 10
# On CI machines a browser wedged after 13-16 page loads; a fresh one per this
# many pages (about 2 s each) keeps every browser young.
PAGES_PER_BROWSER = 8

try:
    import selenium  # noqa: F401

    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

HAVE_BROWSER = HAVE_SELENIUM and Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()

# Raw TeX that MathJax should have replaced, searched in the visible text.
RAW_TEX = re.compile(
    r"\$\$|\\\(|\\\)|\\\[|\\\]"
    r"|\\(?:frac|sum|partial|mathbf|mathrm|left|right|begin|end|operatorname|cdot)\b"
    r"|\$[^$\s][^$\n]{0,80}\$"
)

RAW_TABLE = re.compile(r"[^\n]{0,30}\|\s*:?-{3,}:?\s*\|[^\n]{0,30}")

# Runs in the page: everything the checks need, in one round trip.
INSPECT_PAGE = (
    r"""
const done = arguments[arguments.length - 1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  for (let i = 0; i < 200 && !(document.body && document.readyState === "complete"); i++) {
    await sleep(50);
  }
  // Load lazy images: scroll through the page.
  for (let y = 0; y < document.documentElement.scrollHeight; y += 800) {
    window.scrollTo(0, y);
    await sleep(20);
  }
  window.scrollTo(0, 0);
  const hasMath = document.querySelector(".arithmatex, .jp-RenderedMarkdown");
  if (hasMath) {
    for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup &&
                                 MathJax.startup.promise); i++) await sleep(50);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      if (MathJax.typesetPromise) await MathJax.typesetPromise();
    }
  }
  for (let i = 0; i < 100; i++) {
    if (Array.from(document.images).every((img) => img.complete)) break;
    await sleep(100);
  }
  const brokenImages = Array.from(document.images)
    .filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.getAttribute("src").slice(0, 120));
  const unrendered = Array.from(document.querySelectorAll(".arithmatex"))
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.slice(0, 80));
  const mathErrors = Array.from(document.querySelectorAll("mjx-merror"))
    .map((el) => (el.getAttribute("data-mjx-error") || el.textContent).slice(0, 120));
  const content = document.querySelector("article") || document.body;
  const copy = content.cloneNode(true);
  copy.querySelectorAll(
    "mjx-container, mjx-assistive-mml, code, pre, script, style, .highlight"
  ).forEach((el) => el.remove());
  const images = Array.from(content.querySelectorAll("img"));
  done({
    title: document.title,
    brokenImages,
    unrendered,
    mathErrors,
    mathCount: document.querySelectorAll("mjx-container").length,
    text: copy.textContent,
    scheme: document.body.getAttribute("data-md-color-scheme"),
    imageBackgrounds: images.map((img) => getComputedStyle(img).backgroundColor),
    height: Math.min(document.documentElement.scrollHeight, MAX_HEIGHT),
  });
})().catch((error) => done({ error: String(error) }));
"""
).replace("MAX_HEIGHT", str(MAX_SCREENSHOT_HEIGHT))


def raw_tables(text: str) -> list[str]:
    """Markdown table rows left as text (a cell with a bare `|` breaks a table)."""
    return sorted({m.group(0)[:80] for m in RAW_TABLE.finditer(text)})


def raw_tex(text: str) -> list[str]:
    """Pieces of `text` that look like TeX MathJax did not render."""
    return sorted({m.group(0)[:60] for m in RAW_TEX.finditer(text)})


class RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records every request's status."""

    statuses: list[tuple[str, int]]

    def log_request(self, code="-", size="-"):
        self.statuses.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def build_site(into: Path) -> Path:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(into)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        raise AssertionError(f"mkdocs build --strict failed:\n{done.stderr[-4000:]}")
    return into


def site_pages(site: Path) -> list[str]:
    """The URL path of every page of the built site."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        relative = index.parent.relative_to(site).as_posix()
        if relative.startswith(("assets", "search", "javascripts", "results")):
            continue
        pages.append("/" if relative == "." else f"/{relative}/")
    return pages


def new_driver(profile: Path):
    """Chromium under chromedriver, with a fresh profile in `profile`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


def within(call, seconds: float):
    """Runs `call()` in a thread: (True, its value), or (False, None) after `seconds`.

    Raises what `call` raised.
    """
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except Exception as error:  # noqa: BLE001 - raised again below
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return ("value" in outcome), outcome.get("value")


def stop_browser(driver, profile: Path) -> None:
    """Quits the driver, if it answers within `QUIT_SECONDS`; then kills what is
    left: every process using `profile` (by its pid) and the driver's service."""
    try:
        within(driver.quit, QUIT_SECONDS)
    except Exception:  # noqa: BLE001 - a wedged browser: killed below
        pass
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"--user-data-dir={profile}".encode() in cmdline.read_bytes():
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    service = getattr(getattr(driver, "service", None), "process", None)
    if service is not None and service.poll() is None:
        service.kill()


def pages_with_images(site: Path, pages: list[str]) -> list[str]:
    """The pages whose HTML holds an <img> tag."""
    return [
        page
        for page in pages
        if "<img" in (site / page.strip("/") / "index.html").read_text(errors="ignore")
    ]


def screenshot(driver, path: Path, height: int) -> None:
    import base64

    width = driver.execute_script("return document.documentElement.scrollWidth")
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 0.75},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))


class RawTexTest(tf.test.TestCase):
    def test_spots_raw_tex(self):
        self.assertEqual(raw_tex("a $$x$$ b"), ["$$"])
        self.assertEqual(raw_tex("the $x^2$ term"), ["$x^2$"])
        self.assertEqual(
            raw_tex(r"the \(y\) and \frac{1}{2}"), [r"\(", r"\)", r"\frac"]
        )
        self.assertEqual(raw_tex("costs 5 $ and 6 $ each; plain text"), [])

    def test_spots_raw_tables(self):
        (found,) = raw_tables("x | a | max |z| | |---|---| | r | 1 |")
        self.assertIn("|---|", found)
        self.assertEqual(raw_tables("a rendered table has no dashes | here"), [])


class WithinTest(tf.test.TestCase):
    def test_a_quick_call_gives_its_value(self):
        self.assertEqual(within(lambda: 42, seconds=5), (True, 42))

    def test_a_stalled_call_is_given_up_in_time(self):
        import time

        start = time.monotonic()
        self.assertEqual(within(lambda: time.sleep(3), seconds=0.2), (False, None))
        self.assertLess(time.monotonic() - start, 2.0)

    def test_an_error_is_raised_again(self):
        with self.assertRaisesRegex(ValueError, "no such page"):
            within(lambda: int("no such page"), seconds=5)


@unittest.skipUnless(
    HAVE_BROWSER, f"needs selenium, {CHROMIUM} and {CHROMEDRIVER} (Debian: chromium)"
)
class BrowserTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="tfcnn-site-")
        given = os.environ.get("TFCNN_SITE_DIR")
        cls.site = Path(given) if given else build_site(Path(cls.tmp) / "site")
        RecordingHandler.statuses = []
        handler = functools.partial(RecordingHandler, directory=str(cls.site))
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        cls.restarts = 0
        cls.pages_opened = 0
        cls.missed_screenshots = []
        cls.start_browser()
        if SCREENSHOTS.exists():
            for old in SCREENSHOTS.glob("*.png"):
                old.unlink()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    @classmethod
    def start_browser(cls):
        """A new Chromium with a new profile (after a stalled one is killed)."""
        cls.profile = Path(cls.tmp) / f"chromium-profile-{cls.restarts}"
        cls.driver = new_driver(cls.profile)
        cls.pages_opened = 0

    @classmethod
    def restart_browser(cls):
        stop_browser(cls.driver, cls.profile)
        cls.restarts += 1
        cls.start_browser()

    @classmethod
    def tearDownClass(cls):
        if cls.missed_screenshots:
            print(
                f"\nscreenshots skipped (the capture stalled or failed; browser "
                f"restarted): {', '.join(cls.missed_screenshots)}"
            )
        try:
            stop_browser(cls.driver, cls.profile)
        finally:
            cls.server.shutdown()
            cls.server.server_close()
            shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def open(self, page: str, scheme: str) -> tuple[dict, list, list]:
        """Loads `page` in `scheme`; returns the inspection, console errors, bad statuses.

        A load that stalls past `PAGE_SECONDS` or fails is tried once more in a
        new browser; a second stall is returned as the inspection's error.
        """
        if self.pages_opened >= PAGES_PER_BROWSER:
            type(self).restart_browser()
        type(self).pages_opened += 1
        for _ in range(2):
            try:
                finished, opened = within(lambda: self.load(page, scheme), PAGE_SECONDS)
                failure = f"no answer in {PAGE_SECONDS} s"
            except Exception as error:  # noqa: BLE001 - retried, then reported
                finished, failure = False, f"{type(error).__name__}: {error}"[:300]
            if finished:
                break
            type(self).restart_browser()
        else:
            return {"error": f"the browser failed twice: {failure}"}, [], []
        found, console, bad = opened
        if "height" in found:
            name = page.strip("/").replace("/", "_") or "home"
            self.save_screenshot(SCREENSHOTS / f"{name}.{scheme}.png", found["height"])
        return found, console, bad

    def save_screenshot(self, path: Path, height: int) -> None:
        """`screenshot`, or a note in `missed_screenshots` and a new browser."""
        try:
            saved, _ = within(
                lambda: screenshot(self.driver, path, height), SCREENSHOT_SECONDS
            )
        except Exception:  # noqa: BLE001 - a picture for a person, not a check
            saved = False
        if not saved:
            type(self).missed_screenshots.append(path.name)
            type(self).restart_browser()

    def load(self, page: str, scheme: str) -> tuple[dict, list, list]:
        """`open` without its time bound and its screenshot."""
        self.driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        # Material keeps the scheme it chose in local storage: forget it, so
        # that the emulated preference decides.
        self.driver.execute_cdp_cmd(
            "Storage.clearDataForOrigin",
            {"origin": self.base, "storageTypes": "local_storage"},
        )
        self.driver.get_log("browser")  # drop what came before
        first_request = len(RecordingHandler.statuses)
        self.driver.get(self.base + page)
        found = self.driver.execute_async_script(INSPECT_PAGE)
        console = [
            entry["message"][:300]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
        ]
        bad = [
            f"{status} {path}"
            for path, status in RecordingHandler.statuses[first_request:]
            if status >= 400
        ]
        return found, console, bad

    def test_every_page_renders(self):
        pages = site_pages(self.site)
        self.assertIn("/", pages)
        self.assertGreaterEqual(len(pages), 8)
        problems: dict[str, list[str]] = {}
        math_pages = 0
        for page in pages:
            found, console, bad = self.open(page, "light")
            issues = [f"console: {m}" for m in console] + [f"HTTP {b}" for b in bad]
            if "error" in found:
                issues.append(f"inspection failed: {found['error']}")
            else:
                issues += [f"broken image: {src}" for src in found["brokenImages"]]
                issues += [f"unrendered math: {t}" for t in found["unrendered"]]
                issues += [f"MathJax error: {t}" for t in found["mathErrors"]]
                issues += [f"raw TeX: {t}" for t in raw_tex(found["text"])]
                issues += [f"raw table: {t}" for t in raw_tables(found["text"])]
                if found["scheme"] != "default":
                    issues.append(f"scheme is {found['scheme']!r}, not the light one")
                if "404" in found["title"].split(" - ")[0]:
                    issues.append(f"page title is {found['title']!r}")
                math_pages += found["mathCount"] > 0
            if issues:
                problems[page] = issues
        self.assertEqual(problems, {}, "pages that do not render cleanly")
        self.assertGreater(math_pages, 0, "no page rendered any mathematics")

    def test_dark_scheme_puts_figures_on_white(self):
        problems: dict[str, list[str]] = {}
        seen_images = 0
        for page in pages_with_images(self.site, site_pages(self.site)):
            found, console, bad = self.open(page, "dark")
            issues = [f"console: {m}" for m in console] + [f"HTTP {b}" for b in bad]
            if "error" in found:
                issues.append(f"inspection failed: {found['error']}")
            else:
                if found["scheme"] != "slate":
                    issues.append(f"scheme is {found['scheme']!r}, not slate")
                backgrounds = found["imageBackgrounds"]
                seen_images += len(backgrounds)
                issues += [
                    f"figure background {bg}"
                    for bg in sorted(set(backgrounds))
                    if bg != "rgb(255, 255, 255)"
                ]
            if issues:
                problems[page] = issues
        self.assertEqual(problems, {}, "pages that fail in the dark scheme")
        self.assertGreater(seen_images, 0)
