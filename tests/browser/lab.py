"""JupyterLab in Chromium, driven by Playwright: what the browser tests and benchmarks share.

Nothing here is pytest-specific, so benchmarks/bench_browser.py (and the widget drag benchmarks)
import it too::

    import sys; sys.path.insert(0, "tests/browser")
    import lab

    with lab.LabServer(lab.course_copy(tmp)) as server, lab.chromium() as browser:
        page = lab.new_page(browser)
        nb = lab.Lab(page, server).open("notebooks/01_gradients.ipynb")
        nb.run_all()
        assert nb.errors() == [] and nb.unexecuted() == []

What a person does goes through the interface (the Run menu, clicks, the keyboard); what the
tests read back comes from JupyterLab's own models through ``window.jupyterapp`` (the server
runs with ``LabApp.expose_app_in_browser``), which is exact where the DOM is only a picture.

The server's notebooks render with ``windowingMode: "none"`` (every cell attached to the page),
so that outputs can be read without scrolling; before reading a position on the page, use
``settled_box`` (it scrolls the element into view and waits until it stops moving).
"""
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

HOW_TO_ENABLE = ("install Chromium and the test tools: `apt-get install -y chromium` and "
                 "`pip install -r requirements-dev.txt` (which has playwright)")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# JupyterLab's user settings for the test server (JUPYTERLAB_SETTINGS_DIR): no news or update
# checks (no network, no pop-ups), and every cell of a notebook attached to the page.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

STDERR_MIME = "application/vnd.jupyter.stderr"


def chromium_executable():
    """The path of Debian's Chromium, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing():
    """Why the browser tests cannot run here (a sentence), or None when they can."""
    reasons = []
    if chromium_executable() is None:
        reasons.append("no `chromium` on PATH")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("the Python package `playwright` is not installed")
    if not reasons:
        return None
    return " and ".join(reasons) + "; to run the browser tests, " + HOW_TO_ENABLE


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def course_copy(dest):
    """Copy the repository's notebooks/ and exercises/ into dest (a directory); return dest.

    The server's root: tests open, run and save notebooks there, never in the repository.
    """
    dest = Path(dest)
    for folder in ("notebooks", "exercises"):
        shutil.copytree(REPO / folder, dest / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


def lessons():
    """The lesson notebooks, as paths relative to the server's root ("notebooks/01_....ipynb")."""
    return sorted(f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb"))


class LabServer:
    """A JupyterLab server for tests: 127.0.0.1, a free port, no token, its own settings.

    ``with LabServer(root_dir) as server:`` starts it and waits until it answers (``server.url``
    is the /lab page); ``kernels()`` and ``shutdown_kernels()`` use its REST API (no token, no
    XSRF check: it listens on 127.0.0.1 only, for the test); leaving the block stops it and the
    kernels it started. Its log is ``server.log_path`` (its end is shown when it fails to start).
    Kernels get
    OMP_NUM_THREADS=1, like the rest of the test suite. ``python`` is the interpreter of the
    environment to serve (default: this one; a student's venv, for instance).
    """

    def __init__(self, root_dir, start_timeout=120, python=sys.executable):
        self.root_dir = Path(root_dir)
        self.python = str(python)
        self.start_timeout = start_timeout
        self.port = None
        self.process = None
        self._tmp = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self):
        """The /lab page with a reset workspace (no notebook of an earlier page reopened)."""
        return f"{self.base_url}/lab?reset"

    def _api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.base_url}/api/{path}", method=method)
        with urllib.request.urlopen(request, timeout=60) as r:
            body = r.read()
        return json.loads(body) if body else None

    def kernels(self):
        """The server's running kernels, as /api/kernels lists them."""
        return self._api("kernels")

    def shutdown_kernels(self):
        """Shut every kernel of the server down (its sessions with them)."""
        for session in self._api("sessions"):
            self._api(f"sessions/{session['id']}", method="DELETE")
        for kernel in self._api("kernels"):
            self._api(f"kernels/{kernel['id']}", method="DELETE")

    def start(self):
        self._tmp = Path(tempfile.mkdtemp(prefix="lab-server-"))
        settings = self._tmp / "settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value), encoding="utf-8")
        for folder in ("workspaces", "runtime", "config"):
            (self._tmp / folder).mkdir()
        bin_dir = str(Path(self.python).parent)      # jupyter's own subcommands and kernels: same env
        env = dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTER_RUNTIME_DIR=str(self._tmp / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self._tmp / "config"),
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        env.pop("JUPYTER_TOKEN", None)
        self.port = free_port()
        self.log_path = self._tmp / "server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [self.python, "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             "--ServerApp.token=", "--IdentityProvider.token=", "--ServerApp.password=",
             "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True",
             f"--LabApp.workspaces_dir={self._tmp / 'workspaces'}",
             f"--ServerApp.root_dir={self.root_dir}"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=self.root_dir)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {self.start_timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=40):
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()          # the server shuts its kernels down on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._tmp is not None:
            self._log.close()
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    __enter__ = start

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def chromium(headless=True):
    """Playwright's Chromium launched from Debian's executable (Playwright cannot fetch its own)."""
    from playwright.sync_api import sync_playwright
    executable = chromium_executable()
    if executable is None:
        raise RuntimeError("no chromium on PATH; " + HOW_TO_ENABLE)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=headless)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, width=1400, height=1000):
    """A fresh page in a fresh browser context (its own storage), at a laptop's window size."""
    context = browser.new_context(viewport={"width": width, "height": height})
    return context.new_page()


# The notebook panel with a given widget id, found among the main area's widgets.
_FIND = "const find = id => Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id);"

_STATE = _FIND + """
const w = find(id);
const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
return {
  kernel: kernel ? kernel.status : null,
  cells: w.content.widgets.map(c => {
    const code = c.model.type === 'code';
    const prompt = c.node.querySelector('.jp-InputPrompt');
    return {
      type: c.model.type,
      source: c.model.sharedModel.getSource(),
      count: code ? c.model.executionCount : null,
      running: code && !!prompt && prompt.textContent.includes('*'),
      // what an output is, not its data (a figure's PNG would be copied on every poll)
      outputs: code ? c.model.outputs.toJSON().map(o => ({
        output_type: o.output_type, name: o.name, ename: o.ename, evalue: o.evalue,
        text: o.output_type === 'stream' ? o.text : undefined,
        mime_types: Object.keys(o.data || {}),
      })) : [],
    };
  }),
};
"""


class Lab:
    """One page of JupyterLab, and the notebook it has open.

    ``Lab(page, server)`` loads the /lab page and waits until the application is restored.
    ``open(path)`` opens a notebook (its kernel started and idle) and makes it the one that
    the other methods act on; ``cell(i)`` is the i-th cell's element on the page.
    """

    def __init__(self, page, server, timeout=120):
        self.page = page
        self.server = server
        self.panel_id = None
        self.path = None
        page.set_default_timeout(30_000)
        page.goto(server.url)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout * 1000)
        page.evaluate("async () => { await window.jupyterapp.restored; }")

    # -- opening and closing --------------------------------------------------------------------
    def open(self, path, timeout=300):
        """Open the notebook at path (relative to the server's root) and wait for an idle kernel."""
        self.path = path
        self.panel_id = self.page.evaluate("""async path => {
            const w = await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
            await w.context.ready;
            await w.sessionContext.ready;
            window.jupyterapp.shell.activateById(w.id);
            return w.id;
        }""", path)
        self.wait_for(lambda s: s["kernel"] == "idle", timeout, "the kernel to start")
        self.page.locator(self._css(".jp-Cell")).first.wait_for()
        return self

    def close(self):
        """Shut the notebook's kernel down and close it without saving."""
        if self.panel_id is None:
            return
        self.page.evaluate("async id => {" + _FIND + """
            const w = find(id);
            if (!w) return;
            await w.sessionContext.shutdown();
            w.context.model.dirty = false;
            w.dispose();
        }""", self.panel_id)
        self.panel_id = None

    # -- reading --------------------------------------------------------------------------------
    def state(self):
        """{"kernel": status, "cells": [{"type", "source", "count", "running", "outputs"}, ...]} from
        JupyterLab's models; each output is {"output_type", "name", "ename", "evalue", "text" (streams),
        "mime_types"}."""
        return self.page.evaluate("id => {" + _STATE + "}", self.panel_id)

    def wait_for(self, condition, timeout, what, poll=0.25):
        """Poll state() until condition(state) holds; on timeout fail with what was awaited."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if condition(state):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path}: waited {timeout} s for {what}; kernel {state['kernel']}, "
                                   f"{_summary(state)}")
            time.sleep(poll)

    def unexecuted(self, state=None):
        """Indices of the code cells that have no execution count."""
        state = state or self.state()
        return [i for i, c in enumerate(state["cells"]) if c["type"] == "code" and c["count"] is None]

    def errors(self, state=None):
        """[(cell index, text)] for everything on the page that shows a failure: error outputs
        (a traceback), anything written to stderr (warnings included), and widgets that could
        not be displayed (ipywidgets' error box in place of the widget)."""
        state = state or self.state()
        found = []
        for i, cell in enumerate(state["cells"]):
            for out in cell["outputs"]:
                if out["output_type"] == "error":
                    found.append((i, f"{out['ename']}: {out['evalue']}"))
                elif out["output_type"] == "stream" and out["name"] == "stderr":
                    found.append((i, "stderr: " + "".join(out["text"]).strip()))
        shown = self.page.evaluate("""([id, mime]) => {
            const panel = document.getElementById(id);
            const cells = Array.from(panel.querySelectorAll('.jp-Notebook .jp-Cell'));
            const found = [];
            cells.forEach((cell, i) => {
              for (const o of cell.querySelectorAll('.jp-OutputArea-output')) {
                const text = o.innerText || '';
                if (o.getAttribute('data-mime-type') === mime)
                  found.push([i, text.trim().slice(0, 2000)]);
                else if (o.querySelector('.jupyter-widgets-error-widget') || text.includes('Error displaying widget'))
                  found.push([i, 'a widget failed to display: ' + text.trim().slice(0, 500)]);
              }
            });
            return found;
        }""", [self.panel_id, STDERR_MIME])
        in_model = {i for i, _ in found}
        found += [(i, text) for i, text in shown if i not in in_model]   # e.g. a widget's view failing
        return found

    def output_text(self, index):
        """The text of the i-th cell's outputs as the page shows it."""
        return self.cell(index).locator(".jp-OutputArea").inner_text()

    def find_cell(self, text):
        """The index of the first cell whose source contains text."""
        for i, cell in enumerate(self.state()["cells"]):
            if text in cell["source"]:
                return i
        raise LookupError(f"{self.path}: no cell contains {text!r}")

    # -- the page -------------------------------------------------------------------------------
    def _css(self, selector):
        return f'[id="{self.panel_id}"] .jp-Notebook {selector}'

    def cell(self, index):
        """The i-th cell's element (a Playwright locator)."""
        return self.page.locator(self._css(".jp-Cell")).nth(index)

    def settled_box(self, locator, timeout=10.0):
        """Scroll locator into view and return its bounding box once two reads 100 ms apart agree
        (JupyterLab lays cells and outputs out lazily; a box read too early is stale)."""
        deadline = time.monotonic() + timeout
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            locator.scroll_into_view_if_needed()
            again = locator.bounding_box()
            if again == box and box is not None:
                return box
            box = again
        raise TimeoutError(f"{self.path}: the element kept moving for {timeout} s")

    # -- doing what a person does ---------------------------------------------------------------
    def run_all(self, timeout=900):
        """Run > Run All Cells from the menu bar; wait until the kernel is idle and no cell is
        pending. Returns the seconds it took. (Run All stops at a cell that raises: then some
        cells stay unexecuted and errors() says why.)"""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        item = self.page.locator(".lm-Menu-item .lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
        before = [c["count"] for c in self.state()["cells"]]
        t0 = time.monotonic()
        item.click()

        def all_ran(s):
            return all(c["count"] not in (None, was) for c, was in zip(s["cells"], before) if c["type"] == "code")
        self.wait_for(lambda s: _finished(s) and (all_ran(s) or _has_error(s)), timeout, "Run All to finish")
        return time.monotonic() - t0

    def replace_line(self, index, old, new):
        """In the i-th cell's editor, as a person would: click the line holding old, select old
        (End, then Shift+Home: the line without its indentation), and type new over it. new is
        one line (the editor closes brackets and quotes itself, and typing the closing one steps
        over it, so the typed text arrives as written). Checks that the cell then reads as intended."""
        before = self.state()["cells"][index]["source"]
        line = next((ln for ln in before.splitlines() if old in ln), None)
        assert line is not None and line.strip() == old, \
            f"cell {index} has no line that is exactly {old!r} (indentation aside):\n{before}"
        target = self.cell(index).locator(".cm-line", has_text=old).first
        target.scroll_into_view_if_needed()
        target.click()
        self.page.keyboard.press("End")
        self.page.keyboard.press("Shift+Home")
        self.page.keyboard.type(new, delay=10)
        want = before.replace(old, new, 1)
        self.wait_for_source(index, want)

    def wait_for_source(self, index, want, timeout=10):
        got = self.wait_for(lambda s: s["cells"][index]["source"] == want, timeout,
                            f"cell {index} to read {want!r}")
        return got["cells"][index]["source"]

    def run_cell(self, index, timeout=120):
        """Select the i-th cell (a click on its prompt) and press Shift+Enter; wait until it ran."""
        before = self.state()["cells"][index]["count"]
        self.cell(index).locator(".jp-InputPrompt").first.click()
        self.page.keyboard.press("Shift+Enter")
        state = self.wait_for(lambda s: _finished(s) and s["cells"][index]["count"] not in (None, before),
                              timeout, f"cell {index} to run")
        return state["cells"][index]


def _finished(state):
    return state["kernel"] == "idle" and not any(c["running"] for c in state["cells"])


def _has_error(state):
    return any(o["output_type"] == "error" for c in state["cells"] for o in c["outputs"])


def _summary(state):
    code = [c for c in state["cells"] if c["type"] == "code"]
    done = sum(c["count"] is not None for c in code)
    running = [i for i, c in enumerate(state["cells"]) if c["running"]]
    return f"{done} of {len(code)} code cells executed, running: {running}"
