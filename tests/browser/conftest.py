"""Fixtures of the browser tests: the course in JupyterLab, in Chromium, driven by Playwright.

The helpers themselves are in lab.py beside this file (importable as ``import lab`` from tests
here, and by benchmarks/bench_browser.py); this file only wires them into pytest.

Fixtures
--------
``browser_available`` (session)
    Nothing but the skip (or the failure under ``CI=true``) where the browser is missing.
``lab_server`` (session)
    A ``lab.LabServer``: JupyterLab started by the test session on 127.0.0.1 at a free port,
    ``--allow-root``, empty ``ServerApp.token`` and ``IdentityProvider.token``,
    ``LabApp.expose_app_in_browser=True`` (so ``window.jupyterapp.commands.execute`` works), a
    temporary ``LabApp.workspaces_dir``, and a temporary ``JUPYTERLAB_SETTINGS_DIR`` with the
    news and update checks off and ``windowingMode: "none"`` (every cell attached to the page).
    Its root is a temporary copy of the repository's notebooks/ and exercises/, so tests never
    write into the repository; kernels run with OMP_NUM_THREADS=1. ``lab_server.url`` is /lab,
    ``lab_server.root_dir`` the copy, ``lab_server.log_tail()`` the end of its log.
``browser`` (session)
    Playwright's Chromium (sync API), launched from Debian's ``chromium`` with --no-sandbox,
    --disable-gpu, --disable-quic, --no-first-run, --disable-background-networking,
    --disable-component-update, --disable-sync, headless, with a fresh profile.
``page`` (function)
    A new page in a new browser context (1400x1000), closed after the test.
``lab`` (function)
    ``lab.Lab(page, lab_server)``: JupyterLab loaded and restored in that page. Use
    ``lab.open("notebooks/01_gradients.ipynb")``, then ``run_all()``, ``errors()``,
    ``unexecuted()``, ``state()``, ``cell(i)``, ``find_cell(text)``, ``output_text(i)``,
    ``replace_line(i, old, new)``, ``run_cell(i)``, ``settled_box(locator)``, ``wait_for(...)``.
    The notebook it opened is closed (nothing saved) and every kernel of the server shut down
    after the test. The page loads /lab?reset, so no notebook of an earlier test is restored.

Every browser test module sets ``pytestmark = pytest.mark.browser``: deselect them with
``pytest -m "not browser"``. Where Chromium or playwright is missing they are skipped with a
message that says how to install them, except under ``CI=true``, where that is a failure.
"""
import os
import shutil

import pytest

import lab as labdriver


def _require_browser():
    reason = labdriver.missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: the browser tests must run, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_available():
    """Skips (or, under CI=true, fails) the test where Chromium or playwright is missing."""
    _require_browser()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, browser_available):
    root = labdriver.course_copy(tmp_path_factory.mktemp("course"))
    server = labdriver.LabServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(browser_available):
    # Playwright's sync API keeps an event loop running in this thread while it is open. Closed with
    # each module (a second to relaunch), it never outlives tests/browser/: later tests, and the grader
    # they call, start event loops of their own. ("package" scope would be the session here: no
    # __init__.py.)
    with labdriver.chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    page = labdriver.new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def lab(page, lab_server):
    jupyter = labdriver.Lab(page, lab_server)
    yield jupyter
    try:
        jupyter.close()
    except Exception:  # the page may already be broken: the next line cleans up anyway
        pass
    lab_server.shutdown_kernels()   # no kernel outlives its test, whatever the page did
