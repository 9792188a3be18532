"""``python -m lessons_lib.add_quiz 07 solutions/07_learning_rate.ipynb``: include a lesson's check of
understanding in an exercise set, 1 point per question (see ``lessons_lib.autograder.quiz_cells``)."""
import sys

from .autograder.quiz_cells import main

if __name__ == "__main__":
    sys.exit(main())
