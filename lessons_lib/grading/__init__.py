"""Checkers for the exercise sets: numpy only, no plotting, no widgets.

A checker takes the student's function (or value), runs it against the course's
reference behaviour and raises :class:`Feedback` (an AssertionError) with a
sentence that points at the mistake without giving the answer away, e.g.
"after one step your m_hat equals m: is the bias correction applied?".
Passing returns None. The grader (``python -m lessons_lib.grade``) scores a test
cell by whether it ran to the end; the message is what the student reads.

One module per lesson: ``lessons_lib.grading.lesson08`` holds the checkers of
``solutions/08_momentum.ipynb``.
"""
import contextlib
import contextvars
import importlib
import sys

import numpy as np

__all__ = ["Feedback", "require", "call", "LESSONS", "hidden_seed", "refuse_calls_into"]

# The safe grader sets this (per grading run, in the thread that runs a test) so that hidden
# tests draw fresh inputs each run; in a notebook and under nbgrader it stays None.
RUN_SEED = contextvars.ContextVar("lessons_lib.grading.RUN_SEED", default=None)

# The course's lesson stems, shared by notebooks/, exercises/ and solutions/.
LESSONS = (
    "00_start_here",
    "01_gradients",
    "02_curvature",
    "03_losses",
    "04_error_surfaces",
    "05_minibatch",
    "06_why_it_is_hard",
    "07_learning_rate",
    "08_momentum",
    "09_nesterov",
    "10_adagrad",
    "11_rmsprop_adadelta",
    "12_adam_adamax_nadam",
    "13_backpropagation",
    "14_backprop_networks",
    "15_initialisation",
    "16_training_tricks",
    "17_noise_stopping_search",
    "18_generalisation",
    "19_modern_practice",
    "20_which_optimizer",
)


def hidden_seed(seed):
    """The seed of a hidden test's random inputs: ``seed`` itself in the student's notebook and
    under nbgrader (a repeatable run), a number drawn from ``seed`` and the grading run's own
    random seed in ``python -m lessons_lib.grade`` (new inputs every run, so no answer can be
    tuned to them)."""
    run = RUN_SEED.get()
    if run is None:
        return seed
    return int(np.random.SeedSequence([int(run), int(seed)]).generate_state(1)[0])


class Feedback(AssertionError):
    """A failed check, with a message written for the student."""


def require(condition, message):
    """Raise Feedback(message) unless condition holds."""
    if not condition:
        raise Feedback(message)


def call(fn, *args, what="your function", **kwargs):
    """Call the student's fn; turn a crash into feedback that names what was called.

    NotImplementedError (the exercise is not done yet) is passed through unchanged.
    """
    if not callable(fn):
        raise Feedback(f"{what} should be a function, but it is {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Feedback:
        raise
    except Exception as exc:  # the student's bug, reported in words
        raise Feedback(f"{what} raised {type(exc).__name__}: {exc}") from exc


def as_array(value, what, shape=None):
    """value as a float64 array, with feedback when it is not array-like or has the wrong shape."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Feedback(f"{what} should be a number or an array of numbers, got {type(value).__name__}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise Feedback(f"{what} should have shape {tuple(shape)}, got {arr.shape}")
    return arr


@contextlib.contextmanager
def refuse_calls_into(modules):
    """Feedback when the code run inside this block calls a function of ``modules``
    ({module name: reason}, a checker module's FORBIDDEN entry).

    In the student's notebook and under nbgrader the student's function runs right here,
    so a profile hook sees its calls. The safe grader enforces the same rule itself (the
    module is a stub in the kernel whose functions the grader computes): there this does
    nothing."""
    if RUN_SEED.get() is not None:
        yield
        return
    files = {}
    for name in modules:
        module = importlib.import_module(name)
        files[getattr(module, "__file__", None)] = name
    used = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename in files and not used:
            used.append(f"{files[frame.f_code.co_filename]}.{frame.f_code.co_name}")

    before = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(before)
    if used:
        module = used[0].rsplit(".", 1)[0]
        raise Feedback(f"your code called {used[0]}, which this exercise does not allow ({modules[module]})")
