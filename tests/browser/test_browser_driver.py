"""The browser helpers see failures: a notebook that raises, writes to stderr or cannot display a
widget is reported, and Run All's unreached cells are listed. Without these, "no errors" in the
lesson tests could mean "nothing was read"."""
import time

import nbformat
import pytest

pytestmark = pytest.mark.browser


def _write(lab_server, name, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = lab_server.root_dir / "scratch" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return f"scratch/{name}"


def test_run_all_reports_a_traceback_stderr_and_the_cells_it_did_not_reach(lab, lab_server):
    path = _write(lab_server, "broken.ipynb",
                  "import sys; print('to stderr', file=sys.stderr); x = 1",
                  "print('fine')",
                  "1 / 0",
                  "print('never reached')")
    lab.open(path)
    lab.run_all()
    errors = lab.errors()
    assert [i for i, _ in errors] == [0, 2], errors
    assert "to stderr" in errors[0][1] and "ZeroDivisionError" in errors[1][1]
    assert lab.unexecuted() == [3]
    assert "fine" in lab.output_text(1)


def test_a_widget_that_cannot_be_displayed_is_an_error(lab, lab_server):
    # a widget view whose front-end module does not exist: Python is happy, the page is not
    path = _write(lab_server, "bad_widget.ipynb",
                  "import ipywidgets as w, traitlets\n"
                  "class Ghost(w.DOMWidget):\n"
                  "    _view_name = traitlets.Unicode('GhostView').tag(sync=True)\n"
                  "    _view_module = traitlets.Unicode('no-such-widget-module').tag(sync=True)\n"
                  "    _view_module_version = traitlets.Unicode('1.0.0').tag(sync=True)\n"
                  "Ghost()")
    lab.open(path)
    lab.run_all()
    lab.page.locator(lab._css(".jp-OutputArea-output")).first.wait_for()
    lab.wait_for(lambda s: lab.errors(s), 30, "the widget's display error")
    assert lab.errors()[0][0] == 0


def test_no_kernel_outlives_its_page(browser, lab_server):
    import lab as labdriver
    lab_server.shutdown_kernels()
    first = labdriver.new_page(browser)
    jupyter = labdriver.Lab(first, lab_server).open("notebooks/00_start_here.ipynb")
    assert len(lab_server.kernels()) == 1
    jupyter.close()
    first.context.close()          # at once: JupyterLab may not have saved its workspace yet
    second = labdriver.new_page(browser)
    labdriver.Lab(second, lab_server)     # /lab?reset: the notebook is not reopened
    time.sleep(3)
    assert lab_server.kernels() == []
    second.context.close()
