"""``python -m lessons_lib.assign``: write exercises/ from solutions/ (see ``lessons_lib.autograder.assign``)."""
import sys

from .autograder.assign import main

if __name__ == "__main__":
    sys.exit(main())
