"""What notebooks/11_rmsprop_adadelta.ipynb claims in words, checked against the library.

Each test recomputes a claim with lessons_lib (the same seeded experiment the
notebook runs) and asserts that the notebook's text states exactly that number or
phrase, so the text stays true when the code changes.
"""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import loops, problems, schedules, surfaces, widgets  # noqa: E402
from lessons_lib.optimizers import GD, Adagrad, RMSProp, Adadelta  # noqa: E402

import notebook_text  # noqa: E402

STEM = "11_rmsprop_adadelta"
NEURON = problems.SigmoidNeuron()
RAVINE = surfaces.Quadratic(kappa=10.0, angle=np.pi / 6)


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def first_below(h, level):
    below = np.nonzero(h.epoch_loss < level)[0]
    return int(below[0]) if len(below) else None


def run(surface, opt, theta0=None, steps=100):
    h = loops.minimize(surface, opt, theta0, steps=steps)
    return h, np.linalg.norm(np.diff(h.path, axis=0), axis=1)


class InUnits:
    """The surface in new numbers theta' = s * theta (as in the notebook)."""

    def __init__(self, surface, s):
        self.surface, self.s = surface, s
        self.start, self.minima = s * np.asarray(surface.start), s * np.asarray(surface.minima)
        (x0, x1), (y0, y1) = surface.window
        self.window = ((s * x0, s * x1), (s * y0, s * y1))

    def value(self, p):
        return self.surface.value(np.asarray(p) / self.s)

    loss = value

    def grad(self, p):
        return self.surface.grad(np.asarray(p) / self.s) / self.s


def test_notebook_runs_the_experiments_the_claims_assume(code):
    for snippet in ["rms = RMSProp(lr=0.03)",
                    "h_rms = loops.batch_gd(neuron, rms, neuron.start, epochs=1000",
                    "RMSProp(lr=schedules.InverseTime(lr0=0.03, decay=0.01))",
                    "ravine = surfaces.Quadratic(kappa=10.0, angle=np.pi / 6)",
                    "for opt in [GD(lr=0.05), RMSProp(lr=0.03), Adadelta()]:",
                    "for c in (0.01, 1.0, 100.0):",
                    "surfaces.Quadratic(kappa=10.0, angle=np.pi / 6, scale=c)",
                    "lambda s: Adadelta(eps=1e-6 * s ** 2)", "for s in (0.1, 1.0, 10.0):",
                    "for eps in (1e-8, 1e-6, 1e-4, 1e-2):", "run(ravine, Adadelta(eps=eps), steps=50)",
                    '"Adadelta (ε = 1e-6)": loops.batch_gd(neuron, Adadelta(), neuron.start, epochs=1000)',
                    '"Adadelta (ε = 1e-4)": loops.minimize(ravine, Adadelta(eps=1e-4), steps=2000)',
                    "aligned = surfaces.Quadratic(kappa=10.0)", "opt, theta = Adadelta(eps=1e-4), aligned.start",
                    'surface=ravine, optimizers=["Adagrad", "RMSProp", "Adadelta"], steps=500',
                    '"Adadelta": {"lr": 1.0, "eps": 1e-6}']:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


# ---------------------------------------------------------------------------- the decaying average
def test_average_weights(text):
    beta = 0.9
    weights = (1 - beta) * beta ** np.arange(10)
    assert round(100 * weights.sum()) == 65 and "the last 10 steps carry 65 % of the weight" in text
    assert round(math.log(2) / math.log(1 / beta), 1) == 6.6 and "halves every 6.6 steps" in text


@pytest.fixture(scope="module")
def rms_run():
    rms = RMSProp(lr=0.03)
    noted = []
    h = loops.batch_gd(NEURON, rms, NEURON.start, epochs=1000, callback=lambda e, th: noted.append(rms.E.copy()))
    E = np.array(noted)
    grads = np.array([NEURON.grad(theta) for theta in h.path[:-1]])
    G = np.cumsum(grads ** 2, axis=0)
    return h, E, grads, G, rms


def test_e_is_the_decaying_average_of_the_same_gradients(rms_run):
    h, E, grads, G, _ = rms_run
    expected, e = [], np.zeros(2)
    for g in grads:
        e = 0.9 * e + 0.1 * g * g
        expected.append(e.copy())
    np.testing.assert_allclose(E, expected, rtol=1e-12)
    # Adagrad fed the same gradients holds the same G
    ada = Adagrad(lr=0.1)
    for g in grads:
        ada.step(np.zeros(2), lambda x, g=g: g)
    np.testing.assert_allclose(ada.G, G[-1], rtol=1e-12)


def test_g_never_falls_e_forgets(rms_run, text):
    _, E, _, G, _ = rms_run
    assert np.all(np.diff(G, axis=0) >= 0)
    peak_at = E.argmax(axis=0) + 1
    assert list(peak_at) == [39, 36] and "(up to epoch 40 or so)" in text
    held = 100 * G[99] / G[-1]
    assert [f"{v:.1f}" for v in held] == ["99.7", "97.6"]
    assert "(by epoch 100 it holds 99.7 % and 97.6 % of its final values)" in text
    fall = E.max(axis=0) / E[-1]
    assert round(fall[0], -3) == 31000 and round(fall[1], -2) == 4600
    assert "factors of about 31 000 ($w$) and 4 600 ($b$)" in text


def test_rmsprop_hovers_at_the_minimum(rms_run, text):
    h, E, grads, _, rms = rms_run
    L = h.epoch_loss
    assert int(L.argmin()) == 188 and f"{L.min():.0e}" == "2e-19"
    assert "the loss dips to $2 \\cdot 10^{-19}$ at epoch 188" in text
    assert f"{L[300:].min():.2e}" == "1.65e-05" and f"{L[300:].max():.2e}" == "1.84e-05"
    assert "stays between $1.65 \\cdot 10^{-5}$ and $1.84 \\cdot 10^{-5}$" in text
    moves = np.abs(np.diff(h.path, axis=0))[300:]
    assert np.all(np.abs(moves - 0.03) < 0.0005)
    assert "steps of 0.030 in each coordinate" in text
    ratio = grads[-1] / np.sqrt(E[-1] + rms.eps)
    assert [f"{v:.3f}" for v in ratio] == ["-0.997", "-0.995"]
    assert "($g/\\mathrm{RMS}[g] = -0.997$ and $-0.995$ at the last epoch)" in text
    assert f"{h.final_loss:.1e}" == "1.8e-05" and "loss $1.8 \\cdot 10^{-5}$ on the toy neuron" in text


def test_a_decaying_lr_cures_the_hover(rms_run, text):
    h = rms_run[0]
    decayed = loops.batch_gd(NEURON, RMSProp(lr=schedules.InverseTime(lr0=0.03, decay=0.01)), NEURON.start,
                             epochs=1000)
    assert 800 < h.final_loss / decayed.final_loss < 1000
    assert "more than 800 times lower" in text


# ---------------------------------------------------------------------------- the units argument
def test_objective_scale(text):
    gd1, gd_steps1 = run(RAVINE, GD(lr=0.05))
    for c in (0.01, 100.0):
        h, steps = run(surfaces.Quadratic(kappa=10.0, angle=np.pi / 6, scale=c), GD(lr=0.05))
        assert steps[0] / gd_steps1[0] == pytest.approx(c, rel=1e-9)
        assert h.diverged == (c == 100.0)
    assert "its first step is exactly $c$ times as long" in text and "at $c = 100$ lr = 0.05 diverges" in text
    away = []
    for opt in (RMSProp(lr=0.03), Adadelta()):
        h1, steps1 = run(RAVINE, opt)
        for c in (0.01, 100.0):
            h, steps = run(surfaces.Quadratic(kappa=10.0, angle=np.pi / 6, scale=c), opt)
            assert not h.diverged
            assert round(steps[0] / steps1[0], 3) == 1.0 or f"{steps[0] / steps1[0]:.3f}" == "0.999"
            assert steps.mean() / steps1.mean() == pytest.approx(1, abs=1e-3)
            if isinstance(opt, Adadelta):
                away.append(np.abs(h.path - h1.path).max())
    assert 1e-4 < max(away) < 2.5e-4 and "by at most $2 \\cdot 10^{-4}$" in text
    assert "the ratio of its first steps is 1 to three digits" in text
    # eps effects: at c = 0.01, (1 - rho) g^2 at the start is about a thousand times eps
    g0 = surfaces.Quadratic(kappa=10.0, angle=np.pi / 6, scale=0.01).grad(RAVINE.start)
    assert np.all((700 < 0.1 * g0 ** 2 / 1e-6) & (0.1 * g0 ** 2 / 1e-6 < 1000))
    assert "is only about a thousand times $\\epsilon = 10^{-6}$" in text


def test_parameter_units(text):
    makers = {"GD": lambda s: GD(lr=0.05), "RMSProp": lambda s: RMSProp(lr=0.03),
              "Adadelta": lambda s: Adadelta(eps=1e-6), "Adadelta converted": lambda s: Adadelta(eps=1e-6 * s ** 2)}
    first, mean, diverged = {}, {}, {}
    for name, make in makers.items():
        _, steps1 = run(RAVINE, make(1.0))
        for s in (0.1, 10.0):
            h, steps = run(InUnits(RAVINE, s), make(s))
            first[name, s] = steps[0] / steps1[0]
            mean[name, s] = steps.mean() / steps1.mean()
            diverged[name, s] = h.diverged
    # GD: backwards (1/s), diverges at s = 0.1
    assert first["GD", 0.1] == pytest.approx(10) and first["GD", 10.0] == pytest.approx(0.1)
    assert diverged["GD", 0.1] and not diverged["GD", 10.0]
    assert "its first step is $1/s$ times as long (10 and 0.1), and at $s = 0.1$ it diverges" in text
    # RMSProp and Adadelta with a fixed eps: the same first step in any units
    for name in ("RMSProp", "Adadelta"):
        for s in (0.1, 10.0):
            assert f"{first[name, s]:.4g}" == "1"          # as the table prints it (eps: within 1e-5)
    assert "take the **same** first step in any units (ratio 1)" in text
    # Adadelta with eps converted: a proper length
    assert f"{first['Adadelta converted', 0.1]:.4g}" == "0.1" and f"{first['Adadelta converted', 10.0]:.4g}" == "9.994"
    assert mean["Adadelta converted", 0.1] == pytest.approx(0.1, rel=1e-3)
    assert mean["Adadelta converted", 10.0] == pytest.approx(10, rel=1e-3)
    assert "(first step ratio 0.1 and 9.994, and the same over 100 steps)" in text


def test_in_units_is_the_same_surface():
    u = InUnits(RAVINE, 100.0)
    p = np.array([0.3, -1.7])
    assert u.value(100 * p) == pytest.approx(RAVINE.value(p))
    h = 1e-3
    numeric = np.array([(u.value(100 * p + h * e) - u.value(100 * p - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(u.grad(100 * p), numeric, rtol=1e-6)


# ---------------------------------------------------------------------------- eps and the first step
def test_first_step_is_sqrt_eps_over_one_minus_rho(text):
    ratios = {}
    for eps in (1e-8, 1e-6, 1e-4, 1e-2):
        opt = Adadelta(eps=eps)
        first = np.abs(opt.step(RAVINE.start, RAVINE.grad) - RAVINE.start)
        g = RAVINE.grad(RAVINE.start)
        np.testing.assert_allclose(first, math.sqrt(eps) * np.abs(g) / np.sqrt(0.1 * g * g + eps), rtol=1e-10)
        ratios[eps] = first / math.sqrt(eps)
    for eps in (1e-8, 1e-6, 1e-4):
        assert [f"{v:.3f}" for v in ratios[eps]] == ["3.162", "3.162"]
    assert [f"{v:.3f}" for v in ratios[1e-2]] == ["3.161", "3.160"]
    assert round(math.sqrt(1 / 0.1), 2) == 3.16
    assert "is 3.162 for $\\epsilon$ from $10^{-8}$ to $10^{-4}$ (3.160 at $10^{-2}$" in text
    _, s6 = run(RAVINE, Adadelta(eps=1e-6), steps=50)
    _, s4 = run(RAVINE, Adadelta(eps=1e-4), steps=50)
    ratio = s4 / s6
    assert f"{ratio.min():.1f}" == "3.9" and f"{ratio.max():.1f}" == "10.0"
    assert "stay between 3.9 and 10 times apart" in text
    assert f"{s6[0] / math.sqrt(2):.3f}" == "0.003" and "its first steps are 0.003 long" in text


# ---------------------------------------------------------------------------- side by side
def test_toy_neuron_side_by_side(rms_run, text):
    ada = loops.batch_gd(NEURON, Adagrad(lr=0.1), NEURON.start, epochs=1000)
    d6 = loops.batch_gd(NEURON, Adadelta(), NEURON.start, epochs=1000)
    d4 = loops.batch_gd(NEURON, Adadelta(eps=1e-4), NEURON.start, epochs=1000)
    rms = rms_run[0]
    assert first_below(ada, 1e-4) is None and first_below(rms, 1e-8) is not None
    assert rms.final_loss > 1e-5                        # RMSProp passed 1e-8 but did not stay
    assert f"{d6.epoch_loss[100]:.2f}" == "0.41" and "at epoch 100 its loss is still 0.41" in text
    assert first_below(d6, 1e-4) == 494 and first_below(d6, 1e-8) == 929
    assert "reaches $10^{-4}$ after 494 epochs and $10^{-8}$ after 929" in text
    assert np.all(np.diff(d6.epoch_loss[500:]) < 0) and "its loss falls at every epoch from 500 on" in text
    assert d6.final_loss < rms.final_loss and d6.final_loss < ada.final_loss
    np.testing.assert_allclose(np.abs(d6.path[1] - d6.path[0]), 0.003, atol=0.0004)
    assert first_below(d4, 1e-4) == 300 and "gets to $10^{-4}$ after 300 epochs" in text


def test_ravine_side_by_side(text):
    ada = loops.minimize(RAVINE, Adagrad(lr=1.0), steps=2000)
    rms = loops.minimize(RAVINE, RMSProp(lr=0.03), steps=2000)
    d6 = loops.minimize(RAVINE, Adadelta(), steps=2000)
    d4 = loops.minimize(RAVINE, Adadelta(eps=1e-4), steps=2000)
    assert ada.final_loss < 1e-100
    assert np.all((1.8e-3 < rms.epoch_loss[200:]) & (rms.epoch_loss[200:] < 2.4e-3))
    assert "from step 200 its loss stays near $2 \\cdot 10^{-3}$" in text
    assert f"{d6.epoch_loss[500]:.2g}" == "2.8" and "(loss still 2.8)" in text
    assert f"{d6.epoch_loss.min():.0e}" == "2e-04" and "gets to $2 \\cdot 10^{-4}$ at best" in text
    assert d6.final_loss > 10 * d6.epoch_loss.min()            # and then wobbles
    assert [f"{d4.epoch_loss[k]:.2g}" for k in (200, 1000, 2000)] == ["0.02", "0.22", "0.47"]
    assert "is down to 0.02 after 200 steps" in text and "0.22 after 1000 steps, 0.47 after 2000" in text
    assert np.all(np.diff(d4.epoch_loss[500::100]) > 0)        # it grows


def test_edge_of_stability_on_the_aligned_ravine(text):
    aligned = surfaces.Quadratic(kappa=10.0)
    opt, theta = Adadelta(eps=1e-4), aligned.start
    seen = {}
    for t in range(1, 2001):
        theta = opt.step(theta, aligned.grad)
        if t in (500, 2000):
            rate = np.sqrt(opt.Ed + opt.eps) / np.sqrt(opt.Eg + opt.eps)
            seen[t] = (rate[1], abs(theta[1]))
    for t, (rate, _) in seen.items():
        assert 0.2 < rate < 0.201, (t, rate)            # just above 2/lambda: eps tips it over
    assert seen[2000][1] > 2 * seen[500][1]              # the zigzag grows
    assert "settles at GD's stability limit $2/\\lambda = 0.2$" in text


# ---------------------------------------------------------------------------- the playground
def test_playground(text):
    w = widgets.OptimizerPlayground(
        surface=RAVINE, optimizers=["Adagrad", "RMSProp", "Adadelta"], steps=500,
        hyperparameters={"Adagrad": {"lr": 1.0}, "RMSProp": {"lr": 0.03}, "Adadelta": {"lr": 1.0, "eps": 1e-6}})
    assert set(w.histories) == {"Adagrad", "RMSProp", "Adadelta"}
    np.testing.assert_array_equal(w.histories["Adadelta"].path, loops.minimize(RAVINE, Adadelta(), steps=500).path)
    slow = w.results["Adadelta"]["final_loss"]
    w.hyper["Adadelta"]["eps"].value = 1e-4
    assert w.results["Adadelta"]["final_loss"] < slow                   # a faster start
    assert "Adadelta's `eps` from `1e-6` to `1e-4` and `1e-2`" in text
    w.hyper["RMSProp"]["beta"].value = 0.99
    np.testing.assert_array_equal(w.histories["RMSProp"].path,
                                  loops.minimize(RAVINE, RMSProp(lr=0.03, beta=0.99), steps=500).path)
    # choosing another surface resets every lr, Adadelta's scale included
    w.surface.value = "sigmoidneuron"
    assert w.hyper["Adadelta"]["lr"].value != 1.0
    assert "choosing a surface resets every lr, Adadelta's scale included" in text


# ---------------------------------------------------------------------------- conventions and the closing boxes
def test_eps_conventions_and_library_defaults(text):
    notebook_text.says(text, "(Keras 3 computes it the same way; `torch.optim.RMSprop`, like tf.keras 2, adds $\\epsilon$ after the root)",
                       "Keras's `Adadelta` uses learning_rate = 0.001, $\\rho = 0.95$, $\\epsilon = 10^{-7}$: first steps more than 2000 times shorter",
                       "limit $2/\\lambda = 0.2$ (lesson 02)")
    g, eps = np.array([0.3, -2.0]), 0.5                       # a large eps: the two places differ
    step = -RMSProp(lr=1.0, beta=0.9, eps=eps).step(np.zeros(2), lambda x: g)
    np.testing.assert_allclose(step, g / np.sqrt(0.1 * g * g + eps), rtol=1e-14)
    assert not np.allclose(step, g / (np.sqrt(0.1 * g * g) + eps))
    ravine = surfaces.Quadratic(kappa=10.0, angle=np.pi / 6)
    start = np.asarray(ravine.start, dtype=float)
    torch_like = np.linalg.norm(Adadelta(lr=1.0, rho=0.9, eps=1e-6).step(start, ravine.grad) - start)
    keras_like = np.linalg.norm(Adadelta(lr=0.001, rho=0.95, eps=1e-7).step(start, ravine.grad) - start)
    assert torch_like / keras_like > 2000


def test_predict_first_and_the_closing_boxes(text):
    notebook_text.assert_lesson_closing(text, 7, urls=('https://arxiv.org/abs/1212.5701',))
    assert "[12 · Adam, Adamax and Nadam](12_adam_adamax_nadam.ipynb)" in text


def test_the_exercise_sentences_describe_the_set(text):
    """The set (solutions/11_rmsprop_adadelta.ipynb): 1 Adadelta step, 2 a picture of step lengths,
    3 where RMSProp hovers, 4 the units (written)."""
    link = "(../exercises/11_rmsprop_adadelta.ipynb)"
    notebook_text.says(text, "write the Adadelta step, tell Adagrad, RMSProp and Adadelta apart in a picture of their step lengths",
                       "predict where RMSProp hovers next to a minimum",
                       f"[Exercise 1]{link} asks you to write the step, and [Exercise 4]{link} to work out the units",
                       "why both do is part of Exercise 4.",
                       f"[Exercise 3]{link} asks you to predict where it hovers")
    assert "the RMSProp step and" not in text                              # RMSProp's step is not a task any more
