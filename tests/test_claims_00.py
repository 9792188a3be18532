"""What notebooks/00_start_here.ipynb says in words, checked against the repository and the library.

The lesson map must match the files that exist, the notation table must name
attributes the library really has, and each convention the course says it
picks (velocity includes lr, eps under the root, mean over the batch, step vs
epoch) is checked on the optimizers, problems and loop themselves.
"""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import lessons_lib
from lessons_lib import datasets, loops, optimizers, problems, surfaces
from lessons_lib.grading import LESSONS

import notebook_text

REPO = Path(__file__).resolve().parent.parent
STEM = "00_start_here"


@pytest.fixture(scope="module")
def rows():
    """{lesson number: the row's text} from the map table (rows start with '| NN |')."""
    found = {}
    for line in notebook_text.markdown(STEM, collapsed=False).splitlines():
        m = re.match(r"^\|\s*(\d\d)\s*\|", line)
        if m:
            found[m.group(1)] = line
    return found


@pytest.fixture(scope="module")
def text():
    # whitespace collapsed: a phrase may be wrapped over two lines in the cell
    return notebook_text.markdown(STEM)


# ---------------------------------------------------------------------------- the map
def test_the_map_lists_every_lesson_once_in_order(rows):
    assert list(rows) == [stem[:2] for stem in LESSONS]


@pytest.mark.parametrize("stem", LESSONS)
def test_a_lesson_is_linked_if_it_exists_and_marked_coming_if_not(rows, stem):
    row = rows[stem[:2]]
    linked = f"]({stem}.ipynb)" in row
    coming = "*(coming)*" in row
    assert linked != coming, f"row {stem[:2]} must either link {stem}.ipynb or say *(coming)*: {row}"
    exists = (REPO / "notebooks" / f"{stem}.ipynb").exists()
    if linked:
        assert exists, f"the map links notebooks/{stem}.ipynb, which does not exist"
    else:
        assert not exists, f"notebooks/{stem}.ipynb exists: link it in the map instead of '(coming)'"


def _has_exercise_set(stem):
    return (REPO / "solutions" / f"{stem}.ipynb").exists()


# a lesson split from another shares that lesson's set (its row and its text name which tasks are its own)
SHARED_SETS = {}


@pytest.mark.parametrize("stem", LESSONS[1:])
def test_every_lesson_from_01_links_its_exercise_set_or_says_none_yet(rows, stem):
    row = rows[stem[:2]]
    shared = SHARED_SETS.get(stem)
    if shared and (REPO / "notebooks" / f"{stem}.ipynb").exists():
        assert f"](../exercises/{shared}.ipynb)" in row and "exercises" in row.split("|")[-2], row
        assert (REPO / "exercises" / f"{shared}.ipynb").exists()
        assert re.search(r"\(tasks? [\d, and]+\)", row), f"row {stem[:2]} must name the tasks that are its own"
    elif _has_exercise_set(stem):
        assert f"](../exercises/{stem}.ipynb)" in row
        assert (REPO / "exercises" / f"{stem}.ipynb").exists()
    else:
        # a lesson added by the reorganisation whose set is not written yet says so, and links none
        assert row.rstrip().endswith("| none yet |"), row
        assert "](../exercises/" not in row


def test_the_lessons_with_exercise_sets_are_the_ones_that_had_them_and_more():
    # no set is lost: the fourteen sets of lessons 01-20 before the reorganisation all still exist
    assert sum(_has_exercise_set(stem) for stem in LESSONS[1:]) >= 14


def test_every_exercise_set_has_two_to_five_exercises(text):
    assert "exercise set of two to five exercises" in text
    for stem in filter(_has_exercise_set, LESSONS[1:]):
        nb = nbformat.read(REPO / "solutions" / f"{stem}.ipynb", as_version=4)
        tasks = [c for c in nb.cells
                 if re.fullmatch(r"ex\d+_task", c.metadata.get("nbgrader", {}).get("grade_id", ""))]
        assert 2 <= len(tasks) <= 5, f"{stem}: {len(tasks)} exercises"


def test_how_to_check_and_grade_points_to_real_commands_and_docs(text):
    assert "`python -m lessons_lib.grade exercises/01_gradients.ipynb`" in text
    assert "nbgrader" in text and "generate_assignment" in text and "autograde" in text
    assert "[README](../README.md)" in text and "[docs/grading.md](../docs/grading.md)" in text
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Exercises and grading" in readme and "Grading with nbgrader" in readme
    assert (REPO / "docs" / "grading.md").exists()
    import lessons_lib.grade  # noqa: F401  (the command the text names is a module that exists)


def test_the_version_printed_is_the_package_version():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")   # tomllib is 3.11+; the course runs on 3.10
    assert f'\nversion = "{lessons_lib.__version__}"\n' in pyproject


# ---------------------------------------------------------------------------- the notation table
@pytest.mark.parametrize("name", ["`theta`", "`lr`", "`gamma`", "`beta1`", "`beta2`", "`eps`", "`g`",
                                  "`opt.t`", "`opt.v`", "`opt.m`", "`batch_size`", "`problem.n_samples`",
                                  "`history.steps`", "`history.epochs`", "`beta`, `rho`", "`opt.G`, `opt.E`"])
def test_the_notation_table_names_each_symbol(text, name):
    assert name in text


def test_the_code_names_in_the_table_exist_in_the_library():
    theta, grad = np.array([1.0, -2.0]), lambda x: 2 * x
    assert optimizers.Momentum.hyperparameters == ("lr", "gamma")
    assert optimizers.Nesterov.hyperparameters == ("lr", "gamma")
    assert optimizers.Adam.hyperparameters == ("lr", "beta1", "beta2", "eps")
    assert set(optimizers.Adamax.hyperparameters) >= {"beta1", "beta2"}
    assert set(optimizers.Nadam.hyperparameters) >= {"beta1", "beta2"}
    assert optimizers.RMSProp.hyperparameters == ("lr", "beta", "eps")
    assert "rho" in optimizers.Adadelta.hyperparameters
    for cls, state in [(optimizers.Momentum, "v"), (optimizers.Adam, "m"), (optimizers.Adam, "v"),
                       (optimizers.Adagrad, "G"), (optimizers.RMSProp, "E")]:
        opt = cls(lr=0.1)
        opt.step(theta, grad)
        assert getattr(opt, state).shape == theta.shape
        assert opt.t == 1                          # "t: the step count, 1 on the first step"
    problem = problems.LinearRegression(*datasets.linear_data())
    assert problem.n_samples == 32


# ---------------------------------------------------------------------------- the conventions
def test_velocity_includes_the_learning_rate(text):
    assert r"$v \leftarrow \gamma v + \mathrm{lr}\,g$; $\theta \leftarrow \theta - v$" in text
    problem = problems.LinearRegression(*datasets.linear_data())
    opt = optimizers.Momentum(lr=0.1, gamma=0.9)
    theta0 = np.zeros(2)
    theta1 = opt.step(theta0, problem.grad)
    np.testing.assert_allclose(opt.v, 0.1 * problem.grad(theta0), rtol=1e-15)
    np.testing.assert_allclose(theta1, theta0 - opt.v, rtol=1e-15)


def test_the_other_velocity_form_is_the_same_rule_with_v_negated(text):
    assert "is the same rule with $v$ negated" in text
    q = surfaces.Quadratic(kappa=10, angle=0.4)
    lr, gamma = 0.05, 0.9
    opt, theta = optimizers.Momentum(lr=lr, gamma=gamma), q.start.copy()
    theta_b, v_b = q.start.copy(), np.zeros(2)          # v <- alpha v - lr g ; theta <- theta + v
    for _ in range(50):
        theta = opt.step(theta, q.grad)
        v_b = gamma * v_b - lr * q.grad(theta_b)
        theta_b = theta_b + v_b
        np.testing.assert_allclose(theta_b, theta, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(v_b, -opt.v, rtol=1e-12, atol=1e-14)


def test_eps_is_under_the_root_for_adagrad_and_rmsprop_and_outside_for_adam(text):
    assert r"**under** the square root for Adagrad and RMSProp, $\sqrt{G + \mathrm{eps}}$" in text
    assert "Adam keeps it outside" in text
    theta0, g = np.array([0.0]), np.array([1.0])
    lr, eps = 0.1, 1.0                                  # a large eps makes the two places differ
    step = optimizers.Adagrad(lr=lr, eps=eps).step(theta0, lambda x: g)
    np.testing.assert_allclose(step, theta0 - lr * g / np.sqrt(g**2 + eps), rtol=1e-15)
    rms = optimizers.RMSProp(lr=lr, beta=0.9, eps=eps)
    np.testing.assert_allclose(rms.step(theta0, lambda x: g), theta0 - lr * g / np.sqrt(0.1 * g**2 + eps),
                               rtol=1e-15)
    adam = optimizers.Adam(lr=lr, eps=eps).step(theta0, lambda x: g)   # m_hat = g, v_hat = g^2 after step 1
    np.testing.assert_allclose(adam, theta0 - lr * g / (np.abs(g) + eps), rtol=1e-12)


def test_mean_over_the_batch_except_the_toy_neuron_which_sums(text):
    assert "**Mean over the batch** for every problem except the lectures' toy neuron" in text
    X, y = datasets.linear_data()
    lin = problems.LinearRegression(X, y)
    theta = np.array([0.5, -0.3])
    each = [lin.loss(theta, np.array([i])) for i in range(lin.n_samples)]
    assert lin.loss(theta) == pytest.approx(np.mean(each), rel=1e-12)
    toy = problems.SigmoidNeuron()
    each = [toy.loss(toy.start, np.array([i])) for i in range(toy.n_samples)]
    assert toy.loss(toy.start) == pytest.approx(np.sum(each), rel=1e-12)


def test_a_step_is_not_an_epoch(text):
    assert r"$\lceil 32/5 \rceil = 7$ steps per epoch, 14 steps in all" in text
    assert "(the last batch of each epoch holds 2 examples)" in text
    problem = problems.LinearRegression(*datasets.linear_data())
    h = loops.minibatch_gd(problem, optimizers.GD(lr=0.1), np.zeros(2), batch_size=5, epochs=2, seed=0)
    assert (h.steps_per_epoch, h.steps, h.epochs) == (7, 14, 2)
    batch_sizes = np.diff(np.concatenate([[0], h.step_samples]))
    assert list(batch_sizes) == [5] * 6 + [2] + [5] * 6 + [2]
    # "B = n batch GD, B = 1 stochastic GD": one step per epoch, and n steps per epoch
    assert r"$B = n$ batch GD, $B = 1$ stochastic GD" in text
    assert loops.steps_per_epoch(32, 32) == 1 and loops.steps_per_epoch(32, 1) == 32


# ---------------------------------------------------------------------------- issue 11 additions
def test_the_prerequisites_are_stated_and_lesson_02_teaches_the_rest(text):
    notebook_text.says(text, "**Python and numpy basics:**", "derivatives and the chain rule",
                       "the matrix-vector product and the transpose",
                       "the Hessian, eigenvalues and eigenvectors of a symmetric matrix, the condition "
                       "number and the spectral radius (lesson 02)")


def test_the_curvature_symbols_of_lesson_02_are_in_the_table_and_the_library(text):
    notebook_text.says(text, "| $H$ | `surface.hessian(p)` |", "`surface.eigenvalues`, `lambda_min`, `lambda_max`",
                       "| $\\kappa$ | `kappa` | the condition number $\\lambda_{\\max}/\\lambda_{\\min}$",
                       "| $\\rho$ | | the spectral radius of an iteration matrix")
    q = surfaces.Quadratic(kappa=10, angle=0.3)
    np.testing.assert_allclose(q.hessian(q.start), q.A)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), q.eigenvalues)
    assert q.lambda_max / q.lambda_min == pytest.approx(q.kappa)
    assert surfaces.Rosenbrock().hessian(np.zeros(2)).shape == (2, 2)


def test_the_steps_and_epochs_prediction_is_answered(text):
    notebook_text.says(text, "**Predict first:** how many steps does that run make",
                       r"$\lceil 32/5 \rceil = 7$ steps per epoch, 14 steps in all (the last batch of each epoch holds 2 examples)")
    history = loops.minibatch_gd(problems.LinearRegression(*datasets.linear_data()), optimizers.GD(lr=0.1),
                                 np.zeros(2), batch_size=5, epochs=2, seed=0)
    assert (history.steps_per_epoch, history.steps) == (7, 14) and 32 - 6 * 5 == 2


def test_common_mistakes_then_further_reading_last(text):
    notebook_text.assert_lesson_closing(text, predict_first=1)
