"""The autograder: turns exercise sources into student copies and grades submissions against them.

The course's library (optimizers, schedules, problems, ...) never imports this package;
it is the machinery instructors run. The per-lesson checkers that test cells import
(``from lessons_lib.grading import lesson01 as check``) live next door in
``lessons_lib.grading``: they are course content, this package only runs them.

How the pieces fit:

- ``source_format``: the exercise-set format (nbgrader's cell metadata): which cell is an
  answer, a test, a written answer or locked; the student copy of a source notebook.
- ``assign``: ``python -m lessons_lib.assign`` writes ``exercises/`` from ``solutions/``
  with ``source_format``.
- ``grade``: ``python -m lessons_lib.grade``: reads the sources and submissions, builds the
  cells to run for each submission (the source's setup and test cells, the student's
  answers), runs them with ``run`` and writes the report (text, JSON, CSV).
- ``scan``: the static scan of the student's cells; its findings go into the report.
- ``run``: one submission in one kernel: starts it, runs the cells in order, restarts it
  after a timeout or a crash and decides, in the grader's process, what each test did.
- ``kernel``: the script that starts the IPython kernel inside its limits.
- ``guard``: the grader's half inside the kernel (a snapshot of the interpreter and the
  test runner).

``docs/grading.md`` describes what this machinery guarantees and what it does not.
"""
