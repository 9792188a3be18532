"""A lesson's check of understanding as part of an exercise set (for a class that grades it).

    python -m lessons_lib.add_quiz 07 solutions/07_learning_rate.ipynb
    python -m lessons_lib.assign          # then the student copy, as for any change of a source

appends to the source notebook (or replaces, when run again) three kinds of cells, in
nbgrader's format, so the course's grader and nbgrader both grade them:

- a locked markdown cell: the questions, their options numbered from 0, their figures
  as cell attachments (the questions are data; nothing runs);
- one answer cell, ``quiz_answers = {}`` then the reference answers as the solution
  region (``quiz_answers["too_high"] = 1``): the student copy keeps the first line;
- one test cell per question, 1 point each, ``grade_question("07", quiz_answers,
  "too_high")``: it passes when that answer is right and otherwise fails with the hint
  for that mistake. The score of the quiz is the number of right answers.

The test cells judge the plain dict ``quiz_answers`` (in the safe grader, in the
grader's process with the course's own quiz module). Caveat: the questions and answers
are in the installed library, which the student can read; a quiz in a set is a check
of reading, not an exam.
"""
import argparse
import base64
import sys
from pathlib import Path

from .. import quiz as Q
from .source_format import FormatError, dumps_notebook, grade_id, load_notebook

__all__ = ["quiz_cells", "add_quiz", "main"]


def _nbgrader(gid, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _code(gid, source, **flags):
    return {"cell_type": "code", "execution_count": None, "id": gid.replace("_", "-"),
            "metadata": _nbgrader(gid, **flags), "outputs": [], "source": source}


def _figure_png(question):
    from ..widgets.quiz import figure_png   # matplotlib: only when a quiz is added to a set

    return figure_png(question)


def quiz_cells(lesson):
    """The cells (nbformat-4 dicts) that put lesson ``lesson``'s quiz into an exercise set."""
    nn = Q.lesson_id(lesson)
    questions = Q.load(nn)
    prefix = f"quiz{nn}"
    attachments, parts = {}, []
    for i, q in enumerate(questions, 1):
        figure = ""
        if q.figure is not None:
            name = f"{prefix}_{q.id}.png"
            attachments[name] = {"image/png": base64.b64encode(_figure_png(q)).decode("ascii")}
            figure = f"![the figure of question {i}](attachment:{name})"
        parts.append(Q.question_markdown(q, i, figure))
    ids = ", ".join(f"`{q.id}`" for q in questions)
    intro = (f"## Check of understanding (lesson {nn})\n\n"
             f"Answer in the cell below, one line per question: `quiz_answers[\"{questions[0].id}\"] = ...`, "
             f"a choice by its option's number (the first is 0), a number as a number. The questions: {ids}. "
             f"Each is worth 1 point; its test cell tells you what a wrong answer missed.")
    text = {"cell_type": "markdown", "id": f"{prefix}-questions", "metadata": _nbgrader(f"{prefix}_questions", locked=True),
            "source": "\n\n".join([intro, *parts])}
    if attachments:
        text["attachments"] = attachments
    answers = "\n".join(f"quiz_answers[{q.id!r}] = {q.answer!r}" for q in questions)
    cells = [text,
             _code(f"{prefix}_answers", "quiz_answers = {}   # question id: your answer\n"
                   f"### BEGIN SOLUTION\n{answers}\n### END SOLUTION", solution=True)]
    for q in questions:
        cells.append(_code(f"{prefix}_{q.id}", "from lessons_lib.quiz import grade_question\n"
                           f"grade_question({nn!r}, quiz_answers, {q.id!r})", grade=True, locked=True, points=1))
    return cells


def add_quiz(nb, lesson):
    """The parsed source notebook ``nb`` with lesson ``lesson``'s quiz cells at its end (earlier
    quiz cells of that lesson removed first, so running it again updates them)."""
    prefix = f"quiz{Q.lesson_id(lesson)}_"
    kept = [c for c in nb["cells"] if not (grade_id(c) or "").startswith(prefix)]
    return {**nb, "cells": kept + quiz_cells(lesson)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.add_quiz",
                                     description="Append a lesson's check of understanding to an exercise set's "
                                                 "source notebook, 1 point per question (then run "
                                                 "python -m lessons_lib.assign).")
    parser.add_argument("lesson", help="the lesson whose quiz to add, e.g. 07")
    parser.add_argument("source", help="the source notebook, e.g. solutions/07_learning_rate.ipynb")
    args = parser.parse_args(argv)
    path = Path(args.source)
    try:
        nb = load_notebook(path.read_bytes(), str(path))
        new = add_quiz(nb, args.lesson)
    except (OSError, FormatError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    path.write_text(dumps_notebook(new), encoding="utf-8")
    print(f"{path}: lesson {Q.lesson_id(args.lesson)}'s quiz added ({len(quiz_cells(args.lesson))} cells); "
          "now run python -m lessons_lib.assign")
    return 0


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
