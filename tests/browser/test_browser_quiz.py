"""A lesson's check of understanding in JupyterLab, answered with the mouse as a student does:
a notebook calls show_quiz (the test sample quiz, lesson 99); a radio button is clicked for a
wrong option and the question's Check button shows that option's hint; a number is typed into
another question's box and its Check button says it is correct.
"""
import json

import pytest

import quiz_samples

pytestmark = pytest.mark.browser

SAMPLE = quiz_samples.install()
BY_ID = {q.id: q for q in SAMPLE.QUESTIONS}


def _notebook(root):
    cells = [quiz_samples.INSTALL_CODE, "from lessons_lib.widgets import show_quiz\nshow_quiz(\"99\")"]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                     "source": source} for i, source in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    (root / "quiz_in_lab.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return "quiz_in_lab.ipynb"


def test_a_wrong_choice_shows_its_hint_and_a_right_number_is_correct(lab, lab_server):
    lab.open(_notebook(lab_server.root_dir))
    lab.run_all(timeout=300)
    assert lab.errors() == [], lab.errors()

    wrong = 2
    box = lab.cell(1).locator(".quiz-question-too_high")
    box.get_by_text("what happens?").wait_for(timeout=30_000)       # the question's markdown, rendered
    figure = lab.cell(1).locator(".quiz-question-which_curve img")
    figure.wait_for(timeout=30_000)                                 # and the figure of the one that has one
    assert figure.count() == 1
    box.locator("label", has_text=BY_ID["too_high"].options[wrong]).click()
    box.get_by_role("button", name="Check").click()
    hint = BY_ID["too_high"].hints[wrong]
    box.get_by_text(hint).wait_for(timeout=30_000)
    assert "✘" in box.inner_text()

    box = lab.cell(1).locator(".quiz-question-largest_rate")
    field = box.locator("input[type=text]")
    field.click()
    lab.page.keyboard.type(f"{BY_ID['largest_rate'].answer:g}", delay=20)
    box.get_by_role("button", name="Check").click()
    box.get_by_text("✔ Correct.").wait_for(timeout=30_000)
    assert hint not in box.inner_text()
    assert lab.errors() == [], lab.errors()
