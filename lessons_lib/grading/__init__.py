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
import numpy as np

__all__ = ["Feedback", "require", "call", "LESSONS"]

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
