"""``python -m lessons_lib.grade``: grade exercise notebooks (the machinery is ``lessons_lib.autograder``)."""
import sys

from .autograder.grade import main

if __name__ == "__main__":
    sys.exit(main())
