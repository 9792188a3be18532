"""What several checkers need to read an answer: is it array-like, and a {label: cause} diagnosis."""
import numpy as np

from lessons_lib.grading import Feedback, require


def array_like(value):
    """Whether numpy reads value as an array of numbers."""
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def check_diagnosis(diagnosis, key, causes, signatures, what, look):
    """A diagnosis {label: cause} against key {label: cause}.

    Each label of key must be named, with a cause from ``causes`` (``check.CAUSES`` to the student;
    case and surrounding spaces do not matter). A wrong cause is answered with its signature (what
    that cause would show, from ``signatures``) and ``look`` (where to look), never with the right one.
    ``what`` names the things diagnosed ("suspect", "profile")."""
    require(isinstance(diagnosis, dict), f"diagnosis should be a dict {{label: cause}}, got {type(diagnosis).__name__}")
    labels = sorted(key)
    given = {str(k).strip().upper(): v for k, v in diagnosis.items()}
    missing = [k for k in labels if k not in given]
    require(not missing, f"diagnosis has no entry for {', '.join(missing)}: name a cause for each of {', '.join(labels)}")
    extra = sorted(set(given) - set(labels))
    require(not extra, f"diagnosis has entries for {', '.join(extra)}, which are not among the {what}s")
    for label in labels:
        cause = given[label]
        require(isinstance(cause, str) and cause.strip().lower() in causes,
                f"the cause for {label} should be one of check.CAUSES, got {cause!r}")
    for label in labels:
        cause = given[label].strip().lower()
        if cause != key[label]:
            raise Feedback(f"{what} {label} is not '{cause}': {signatures[cause]}, and that is not what {what} "
                           f"{label} shows; {look}")


def bug_subsets(bugs):
    """Every non-empty subset of a listing's bugs (tuples in the listing's order): what a student who fixed
    some of them, but not all, may hand in."""
    return [tuple(b for k, b in enumerate(bugs) if mask >> k & 1) for mask in range(1, 2 ** len(bugs))]


def bugs_left(bugs, messages, where):
    """The feedback for an answer that still holds ``bugs`` of a listing (their messages joined)."""
    count = "one of the listing's bugs is" if len(bugs) == 1 else f"{len(bugs)} of the listing's bugs are"
    return Feedback(f"{count} still there {where}: " + "; and ".join(messages[b] for b in bugs))
