"""The checkers of exercise set 15 (initialisation): they accept the solutions notebook's answers,
reject each typical wrong answer with its own message, let NotImplementedError through, and the notebook
has the exercise-set structure. The answer keys are checked against measurements of the library.
"""
import numpy as np
import pytest

from exercise_support import (assert_bug_is_named, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, bug_cases)
from lessons_lib.grading import lesson15 as check
from lessons_lib.problems import MLP

LESSON = "15"
ANSWERS = {"ex2_leaky_relu_std": "leaky_relu_std"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_relu_depth_test", 3), ("ex2_leaky_relu_std_test", 3), ("ex3_diagnose_init_test", 3),
          ("ex4_read_factor_test", 2), ("ex5_written", 2)]


def test_solution_passes(ref):
    check.relu_depth(ref["rms_layer_8"])
    check.leaky_relu_std(ref["leaky_relu_std"])
    check.leaky_relu_std(ref["leaky_relu_std"], hidden=True)
    check.diagnose_init(ref["diagnosis"])
    check.read_factor(ref["factor"])


# -- exercise 1: the prediction ----------------------------------------------------------------

def test_the_prediction_from_the_variance_argument_matches_the_measurement():
    """(1/6)^(L/2): the task's argument, within 15% of the network the checker measures."""
    measured = check.measured_rms_at_depth()
    assert abs(measured / (1 / 6) ** (check.DEPTH / 2) - 1) < 0.15


@pytest.mark.parametrize("value, message", [
    (0.5 ** 4, "a uniform distribution on [-a, a] has variance a^2/3"),
    ((1 / 3) ** 4, "leaves out what the relu does"),
    ((1 / 6) ** 8, "the task asks for the root mean square"),
    ((1 / 6) ** 0.5, "the factor of one layer"),
    ((1 / 6) ** 3.5, "one layer too few"),
    (1.0, "keep their size"),
    (1e-2, "far larger than what the network measures"),
    (1e-9, "far smaller than what the network measures"),
    (-7.7e-4, "it is positive"),
    ("7.7e-4", "should be a number"),
    (float("nan"), "should be a finite number"),
])
def test_relu_depth_slips_are_named(value, message):
    assert_feedback(message, check.relu_depth, value)


def test_relu_depth_accepts_honest_rounding():
    check.relu_depth(7.7e-4)
    check.relu_depth(np.float32(0.0008))
    check.relu_depth(1 / 1296, hidden=True)


# -- exercise 2: the leaky relu ---------------------------------------------------------------

def test_the_leaky_key_keeps_the_mean_square_measured():
    """One leaky relu layer of 400 inputs with the key's weights keeps the mean square (mean over 10 draws,
    within 5%); alpha instead of alpha^2 would miss it by more than 10% at alpha = 0.5."""
    rng = np.random.default_rng(0)
    for alpha in (0.0, 0.2, 0.5, 1.0):
        ratios = []
        for _ in range(10):
            x = rng.standard_normal((500, 400))
            z = x @ rng.normal(0.0, check.leaky_reference(400, alpha), size=(400, 400))
            ratios.append(np.mean(np.where(z > 0, z, alpha * z) ** 2) / np.mean(x ** 2))
        assert abs(np.mean(ratios) - 1) < 0.05, alpha
        if alpha == 0.5:
            assert abs(np.mean(ratios) * (1 + alpha) / (1 + alpha ** 2) - 1) > 0.1
    assert np.isclose(check.leaky_reference(50, 0.0), np.sqrt(2 / 50))        # He
    assert np.isclose(check.leaky_reference(50, 1.0), np.sqrt(1 / 50))        # linear: LeCun


LEAKY_BUGS = {
    "variance": ([("return np.sqrt(2 / ((1 + alpha**2) * n_in))", "return 2 / ((1 + alpha**2) * n_in)")],
                 "is the variance of the weights"),
    "uniform limit": ([("np.sqrt(2 / ((1 + alpha**2) * n_in))", "np.sqrt(6 / ((1 + alpha**2) * n_in))")],
                      "the limit of a uniform distribution"),
    "alpha not squared": ([("(1 + alpha**2)", "(1 + alpha)")], "alpha squared times it, not alpha times"),
    "inverted": ([("np.sqrt(2 / ((1 + alpha**2) * n_in))", "np.sqrt((1 + alpha**2) / (2 * n_in))")],
                 "repeat the loss instead of making up for it"),
    "plain He": ([("np.sqrt(2 / ((1 + alpha**2) * n_in))", "np.sqrt(2 / n_in)")], "that is He's for a plain relu"),
    "half": ([("np.sqrt(2 / ((1 + alpha**2) * n_in))", "np.sqrt(1 / ((1 + alpha**2) * n_in))")],
             "half of what keeps the signal"),
    "other": ([("np.sqrt(2 / ((1 + alpha**2) * n_in))", "np.sqrt(3 / ((1 + alpha**2) * n_in))")],
              "does not keep the second moment"),
    "a string": ([("return np.sqrt(2 / ((1 + alpha**2) * n_in))", "return 'sqrt(2/n)'")], "should be a number"),
}
BUGS = {"ex2_leaky_relu_std": LEAKY_BUGS}


@pytest.mark.parametrize("grade_id, bug", bug_cases(BUGS))
def test_bug_is_named(edit, grade_id, bug):
    assert_bug_is_named(check, edit, BUGS, ANSWERS, grade_id, bug)


def test_leaky_accepts_plain_python():
    import math
    check.leaky_relu_std(lambda n_in, alpha: math.sqrt(2) / math.sqrt(n_in + n_in * alpha * alpha), hidden=True)


def test_not_implemented_passes_through():
    assert_not_implemented_passes_through(check.leaky_relu_std)


# -- exercise 3: the diagnosis ----------------------------------------------------------------------

def test_each_profile_shows_its_causes_signature():
    by_cause = {cause: check.PROFILES[label] for label, cause in check._KEY.items()}
    assert sorted(by_cause) == sorted(check.CAUSES)
    small, large, right = by_cause["scale too small"], by_cause["scale too large"], by_cause["right scale"]
    assert small["forward"][-1] < 0.01 * small["forward"][0] and small["backward"][0] < 0.01 * small["backward"][-1]
    assert large["forward"][-1] > 100 * large["forward"][0] and large["backward"][0] > 100 * large["backward"][-1]
    assert all(0.5 < f < 2 for f in right["forward"]) and all(0.1 < g < 0.4 for g in right["backward"])
    equal = by_cause["all weights equal"]
    assert max(equal["unit_spread"]) == 0.0 and max(equal["backward"][:-1]) < 1e-12
    assert min(min(p["unit_spread"][1:]) for label, p in check.PROFILES.items() if p is not equal) > 0.1


def test_diagnose_accepts_the_solution_and_loose_spelling(ref):
    check.diagnose_init({k.lower(): v.upper() + " " for k, v in ref["diagnosis"].items()}, hidden=True)


def _with(**changes):
    d = dict(check._KEY)
    d.update(changes)
    return d


@pytest.mark.parametrize("diagnosis, message", [
    (_with(A="right scale"), "the activations stay near the size of the inputs"),
    (_with(C="scale too small"), "a falling straight line"),
    (_with(A="scale too large"), "a rising straight line"),
    (_with(D="all weights equal"), "the spread between the units of a layer would be 0"),
    (_with(B="vanishing"), "should be one of check.CAUSES"),
    ({"A": "scale too small"}, "no entry for B, C, D"),
    (_with(E="right scale"), "not among the profiles"),
    ("A: scale too small", "should be a dict"),
])
def test_diagnose_mistakes_are_named(diagnosis, message):
    assert_feedback(message, check.diagnose_init, diagnosis)


# -- exercise 4: the picture -----------------------------------------------------------------------

def test_the_picture_shows_its_scale():
    """He-uniform times 0.8: the rms falls by about 0.8 a layer (within 5%)."""
    assert abs(check.picture_factor() / check._PICTURE_SCALE - 1) < 0.05
    assert len(check.PICTURE) == 9


@pytest.mark.parametrize("power, message", [
    (-1, "from the last layer to the first"),
    (2, "that of the mean square"),
    (8, "the ratio over all 8 steps"),
    (0.5, "the root of the one the picture shows"),
])
def test_read_factor_misreadings_are_named(power, message):
    assert_feedback(message, check.read_factor, check.picture_factor() ** power)


def test_read_factor_accepts_an_honest_reading_and_rejects_a_far_one():
    key = check.picture_factor()
    check.read_factor(round(key, 1))
    check.read_factor(key * 1.08)
    assert_feedback("does not match the picture", check.read_factor, 0.5)
    assert_feedback("should be a number", check.read_factor, [0.8])


# -- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex1_relu_depth_test", "ex3_diagnose_init_test",
                                                          "ex4_read_factor_test"])


def test_the_picture_task_draws_from_the_checkers_data(sources):
    assert "check.PICTURE" in sources["ex4_read_factor"].split("### BEGIN SOLUTION")[0]
    assert "MLP" in sources["setup"]
    assert isinstance(MLP, type)
