"""The quiz widget (lessons_lib.widgets.show_quiz): inputs, Check buttons, the static picture.

The browser test (tests/browser/test_browser_quiz.py) clicks the same buttons in JupyterLab.
"""
import base64
import re

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import quiz_samples  # noqa: E402
from lessons_lib.quiz import Choice, Number  # noqa: E402
from lessons_lib.widgets import QuizWidget, show_quiz  # noqa: E402

SAMPLE = quiz_samples.install()
BY_ID = {q.id: q for q in SAMPLE.QUESTIONS}
IMAGE = re.compile(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)")


@pytest.fixture
def w():
    return QuizWidget("99")


def test_one_input_and_one_check_button_per_question(w):
    assert list(w.inputs) == list(w.buttons) == list(w.feedback) == list(BY_ID)
    for qid, q in BY_ID.items():
        control = w.inputs[qid]
        if isinstance(q, Choice):
            assert [value for _, value in control.options] == list(range(len(q.options)))
            assert [label for label, _ in control.options] == list(q.options)
            assert control.value is None                        # nothing chosen before the student chooses
        else:
            assert control.value == ""
        assert w.buttons[qid].description == "Check"


def test_check_says_correct_or_the_hint_of_that_mistake(w):
    w.inputs["too_high"].value = 2
    w.buttons["too_high"].click()
    assert BY_ID["too_high"].hints[2] in w.feedback["too_high"].value
    assert w.results["too_high"].status == "wrong"
    w.inputs["too_high"].value = 1
    w.buttons["too_high"].click()
    assert "Correct" in w.feedback["too_high"].value and w.results["too_high"].correct
    slip = 1 / SAMPLE.A
    w.inputs["largest_rate"].value = f"{slip:.4f}"
    w.buttons["largest_rate"].click()
    assert BY_ID["largest_rate"].wrong[slip] in w.feedback["largest_rate"].value
    w.inputs["largest_rate"].value = "2/5"                       # a fraction is a number too
    w.buttons["largest_rate"].click()
    assert w.results["largest_rate"].correct


def test_an_empty_or_unreadable_answer_is_named_not_judged(w):
    w.buttons["epoch"].click()
    assert "Choose an option first" in w.feedback["epoch"].value
    w.buttons["factor"].click()
    assert "Type a number first" in w.feedback["factor"].value
    w.inputs["factor"].value = "one half"
    w.buttons["factor"].click()
    assert "Type a number like 0.2" in w.feedback["factor"].value
    assert w.results["factor"].status == "not answered"           # judged nothing


def test_figures_are_shown_as_pictures(w):
    with_figure = [q.id for q in SAMPLE.QUESTIONS if q.figure is not None]
    assert with_figure and all(w.pngs[qid].startswith(b"\x89PNG") for qid in with_figure)
    assert all(w.pngs[q.id] is None for q in SAMPLE.QUESTIONS if q.figure is None)


def test_the_static_picture_shows_every_question_and_option_never_the_answers(w):
    bundle = w._repr_mimebundle_()
    assert sorted(bundle) == ["application/vnd.jupyter.widget-view+json", "text/markdown", "text/plain"]
    md = bundle["text/markdown"]
    images = IMAGE.findall(md)
    assert len(images) == sum(q.figure is not None for q in SAMPLE.QUESTIONS)
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    text = IMAGE.sub("", md)
    for i, q in enumerate(SAMPLE.QUESTIONS, 1):
        assert f"**{i}.** {q.text}" in text
        for k, option in enumerate(getattr(q, "options", ())):
            assert f"{k}. {option}" in text
        hints = list(q.hints.values()) if isinstance(q, Choice) else [q.hint, *q.wrong.values()]
        assert not any(h in text for h in hints)
        if isinstance(q, Number):
            assert q.answer_text() not in text
    assert "correct" not in text.lower().replace("check your answers", "")
    assert 'check("99"' in text


def test_show_quiz_displays_the_bundle_and_returns_nothing(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert show_quiz(99) is None
    assert len(shown) == 1 and isinstance(shown[0], QuizWidget) and shown[0].lesson == "99"


def test_a_missing_lesson_is_a_clear_error():
    with pytest.raises(ValueError, match="no quiz for lesson '42'"):
        QuizWidget("42")


def test_a_headless_notebook_shows_the_questions_and_does_not_block(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [quiz_samples.INSTALL_CODE, "from lessons_lib.widgets import show_quiz\nshow_quiz('99')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    (out,) = nb.cells[1].outputs
    assert sorted(out["data"]) == ["application/vnd.jupyter.widget-view+json", "text/markdown", "text/plain"]
    assert SAMPLE.QUESTIONS[0].text in out["data"]["text/markdown"]
    # exported as a page without the widgets' state (nbconvert, a site build), the static markdown shows:
    # the questions and the figures, rendered, not an error in place of the widget
    nbconvert = pytest.importorskip("nbconvert")
    nb.metadata.pop("widgets", None)
    page, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    output_area = page.split('class="jp-OutputArea', 1)[1]
    assert "it oscillates and converges" in output_area and "Which loss curve" in output_area
    assert output_area.count('src="data:image/png;base64,') == 1
    assert "Error displaying widget" not in output_area
