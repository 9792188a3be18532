"""The lessons' checks of understanding: one module per lesson, ``lessonNN.py``, holding
``QUESTIONS``, a tuple of :class:`lessons_lib.quiz.Choice` and :class:`lessons_lib.quiz.Number`.

The format (ids, hints per wrong option, numbers computed with the library, figures as
functions of a matplotlib Figure) is described in :mod:`lessons_lib.quiz`; the tests in
tests/test_quizzes.py hold every module here to it.
"""
