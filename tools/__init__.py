"""Build tools for the course's authors: the reveal.js slides and the static site (``python -m tools.build``).

Not part of ``lessons_lib`` (the students' library): nothing here is installed with the course.
"""
