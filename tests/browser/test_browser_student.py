"""What a student sees: JupyterLab from the student's install (the README's first command,
requirements.txt) has no nbgrader in its interface (no Nbgrader menu, none of its commands or
plugins) and runs a lesson with its widgets without an error; the instructors' JupyterLab
(requirements-dev.txt, the test suite's) does show nbgrader, so the probe is not blind.
"""
import pytest

import lab as labdriver

pytestmark = pytest.mark.browser

LESSON = "notebooks/01_gradients.ipynb"   # it shows the learning-rate explorer widget


def nbgrader_in_the_interface(page):
    """Everything of nbgrader's that the page shows or has registered."""
    menus = [m for m in page.locator(".lm-MenuBar-itemLabel").all_inner_texts() if "nbgrader" in m.lower()]
    found = page.evaluate("""() => ({
        commands: window.jupyterapp.commands.listCommands().filter(c => /nbgrader/i.test(c)),
        plugins: window.jupyterapp.listPlugins().filter(p => /nbgrader/i.test(p) && window.jupyterapp.isPluginActivated(p)),
    })""")
    return {"menus": menus, **found}


@pytest.fixture(scope="module")
def student_server(student_venv, tmp_path_factory):
    root = labdriver.course_copy(tmp_path_factory.mktemp("student-course"))
    with labdriver.LabServer(root, python=student_venv / "python") as server:
        yield server


def test_the_students_jupyterlab_has_no_nbgrader_and_runs_a_lesson_with_widgets(page, student_server):
    lab = labdriver.Lab(page, student_server)
    assert "Run" in page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert nbgrader_in_the_interface(page) == {"menus": [], "commands": [], "plugins": []}
    assert page.evaluate("() => window.jupyterapp.isPluginActivated('@jupyter-widgets/jupyterlab-manager:plugin')")

    lab.open(LESSON)
    lab.run_all()
    assert lab.errors() == [] and lab.unexecuted() == []
    assert lab.page.locator(lab._css(".jupyter-widgets")).count() > 0, "the lesson shows no widget"
    lab.close()


def test_the_instructors_jupyterlab_shows_nbgrader(lab):
    found = nbgrader_in_the_interface(lab.page)
    assert found["menus"] and found["commands"] and found["plugins"], found
