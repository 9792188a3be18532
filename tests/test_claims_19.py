"""Lesson 19 (modern practice): every number and claim its text makes, checked against the library.

The lesson's code cells are run once (figures skipped, as notebook_text.run_cells does) and each
test compares what the markdown states with what they computed: warm-up on the raw digits,
AMSGrad on Reddi et al.'s example and on the moons, AdamW against L2 inside Adam, the
learning-rate range test and the four loss curves to diagnose.
"""
from pathlib import Path

import numpy as np
import pytest

from lessons_lib import datasets, loops, optimizers, problems, schedules

import notebook_text
from notebook_text import says

REPO = Path(__file__).resolve().parent.parent
STEM = "19_modern_practice"

text, code = notebook_text.fixtures(STEM)


@pytest.fixture(scope="module")
def ns():
    return notebook_text.run_cells(STEM, notebook_text.sources(STEM, "code"), {})


def test_structure_links_and_neighbours(text):
    says(text, "**Learning objectives.**", "**You need** lesson 05", "lesson 07", "lesson 08", "lesson 12",
         "**Next:** [20 Which optimizer](20_which_optimizer.ipynb)")
    # its own set (solutions/19): 1 a weight the data never move, 2 warm-up distance, 3 four curves, 4 L2 in Adam
    own = "(../exercises/19_modern_practice.ipynb)"
    assert (REPO / "exercises" / "19_modern_practice.ipynb").exists() and "none yet" not in text
    says(text, f"**Exercises:** [exercises/19_modern_practice.ipynb]{own}: predict where AdamW and Adam with L2",
         "python -m lessons_lib.grade exercises/19_modern_practice.ipynb",
         f"[Exercise 2]{own} asks you to derive how far Adam travels during a warm-up when its bias correction is left out",
         f"[Exercise 1]{own} asks where the two leave a weight the data never move",
         f"[Exercise 4]{own} what rescaling the loss does to each",
         f"[Exercise 3]{own} gives you four more runs to diagnose", f"**Exercises:** [19 Modern practice]{own}.")
    assert (REPO / "notebooks" / "20_which_optimizer.ipynb").exists()
    # warm-up 1, AMSGrad 2, AdamW 2, range test 1, loss curves 1
    notebook_text.assert_lesson_closing(text, predict_first=7, urls=(
        "https://arxiv.org/abs/1706.02677", "https://arxiv.org/abs/1904.09237",
        "https://arxiv.org/abs/1711.05101", "https://arxiv.org/abs/1506.01186"))


def test_the_networks_are_as_described(text, ns):
    says(text, "a 2-16-2 tanh network (82 parameters) on 200 points of the two moons",
         "a 64-32-10 relu network on 600 of the digits")
    assert ns["moons"].sizes == (2, 16, 2) and ns["moons"].n_params == 82 and ns["moons"].n_samples == 200
    assert ns["raw"].sizes == (64, 32, 10) and ns["raw"].n_samples == 600
    assert ns["raw"].X.min() == 0 and ns["raw"].X.max() == 16       # "raw pixels run from 0 to 16"
    says(text, "raw pixels run from 0 to 16")


# ---------------------------------------------------------------------------- 1. warm-up
def test_adams_first_step_moves_every_coordinate_by_about_lr(text):
    says(text, r"At $t = 1$ Adam's bias correction gives $\hat m = g$ and $\hat v = g^2$",
         "moves **every** coordinate by about lr")
    g = np.array([1e-4, 0.3, -20.0, 5e3])
    step = optimizers.Adam(lr=0.1).step(np.zeros(4), lambda x: g)
    np.testing.assert_allclose(np.abs(step), 0.1, rtol=1e-3)


def test_warmup_is_the_linear_ramp_described(text):
    says(text, r"$\mathrm{lr}_t = \mathrm{lr}\cdot t/T$ for $t \le T$", "`schedules.Warmup(after, steps)`")
    w = schedules.Warmup(0.1, steps=30)
    for t in (1, 10, 30):
        assert w(t) == pytest.approx(0.1 * t / 30)
    assert w(31) == w(100) == pytest.approx(0.1)


def test_warmup_rescues_the_raw_pixel_run(text, ns):
    const, warm = ns["warm"]["constant lr = 0.1"], ns["warm"]["warm-up over 30 steps"]
    raw = ns["raw"]
    assert const.steps == warm.steps == 100                           # "100 steps"
    says(text, "the full-data loss is 2.10 after the first epoch and still 1.76 after the fifth, "
               "with training accuracy 0.285, and 30 of the 32 hidden units are dead",
         "the same rate reaches a loss of 0.37 and accuracy 0.905; 13 units still die, but the other 19",
         "(accuracy 0.285) into a working one (0.905)")
    assert f"{const.epoch_loss[1]:.2f}" == "2.10" and f"{const.epoch_loss[5]:.2f}" == "1.76"
    assert f"{raw.accuracy(const.x):.3f}" == "0.285" and ns["dead_units"](raw, const.x) == 30
    assert f"{warm.final_loss:.2f}" == "0.37" and f"{raw.accuracy(warm.x):.3f}" == "0.905"
    assert ns["dead_units"](raw, warm.x) == 13


# ---------------------------------------------------------------------------- 2. AMSGrad
def test_reddis_example_adam_goes_to_the_worst_end_amsgrad_to_the_best(text, ns):
    says(text, r"$\beta_2 = 1/(1 + 3^2) = 0.1$", "the slopes add to $3 - 1 - 1 = 1 > 0$",
         r"Adam ends at $x = +1.00$, the worst point, and AMSGrad at $-1.00$, the best")
    assert 1 / (1 + 3**2) == pytest.approx(0.1)
    lr = lambda t: 0.1 / np.sqrt(t)
    assert f"{ns['reddi'](optimizers.Adam(lr=lr, beta1=0.0, beta2=0.1)):+.2f}" == "+1.00"
    assert f"{ns['reddi'](optimizers.AMSGrad(lr=lr, beta1=0.0, beta2=0.1)):+.2f}" == "-1.00"


def test_amsgrad_keeps_the_largest_v(text):
    says(text, r"$v_{\max} \leftarrow \max(v_{\max}, v)$")
    opt = optimizers.AMSGrad(lr=0.1, beta2=0.1)
    x = np.zeros(1)
    for g in (3.0, -1.0, -1.0):
        x = opt.step(x, lambda _: np.array([g]))
    assert opt.v_max[0] > opt.v[0] and opt.v_max[0] == pytest.approx(0.9 * 9)


def test_amsgrad_matches_adam_on_the_moons(text, ns):
    says(text, "The same to three decimals: 0.079, 0.082 and 0.084 for both")
    for name in ("Adam", "AMSGrad"):
        assert [f"{v:.3f}" for v in ns["amsgrad_runs"][name]] == ["0.079", "0.082", "0.084"]
    assert np.max(np.abs(np.subtract(ns["amsgrad_runs"]["Adam"], ns["amsgrad_runs"]["AMSGrad"]))) < 5e-4


# ---------------------------------------------------------------------------- 3. AdamW
def test_l2_is_weight_decay_for_plain_gradient_descent(text, ns):
    says(text, r"$\theta \leftarrow \theta - \mathrm{lr}\,(g + \lambda\theta) = (1 - \mathrm{lr}\,\lambda)\,\theta - \mathrm{lr}\,g$")
    X, y = datasets.two_moons(n=200, noise=0.2, seed=0)
    l2 = ns["MLPWithL2"](X, y, 0.01, hidden=(16,))
    theta = ns["theta0"]
    stepped = optimizers.GD(lr=0.05).step(theta, l2.grad)
    np.testing.assert_allclose(stepped, (1 - 0.05 * 0.01) * theta - 0.05 * ns["moons"].grad(theta), atol=1e-14)


def test_adamw_decays_every_coordinate_by_the_same_factor(text):
    says(text, r"every coordinate is decayed by the same factor $1 - \mathrm{lr}\,\lambda$")
    theta = np.array([0.5, -2.0, 3.0])
    out = optimizers.AdamW(lr=0.05, weight_decay=0.01).step(theta, lambda x: np.zeros(3))
    np.testing.assert_allclose(out, (1 - 0.05 * 0.01) * theta, rtol=1e-14)


def test_adam_with_l2_against_adamw_on_the_moons(text, ns):
    says(text, r"the weights grow from $\|\theta\| = 2.72$ to 8.32 as the network fits the moons "
               "(cross-entropy 0.088, accuracy 0.97)",
         "the weights shrink to 2.48 and the fit suffers (cross-entropy 0.298, accuracy 0.87)")
    moons, h_l2, h_w = ns["moons"], ns["h_l2"], ns["h_w"]
    assert f"{np.linalg.norm(ns['theta0']):.2f}" == "2.72"
    assert f"{np.linalg.norm(h_w.x):.2f}" == "8.32" and f"{np.linalg.norm(h_l2.x):.2f}" == "2.48"
    assert f"{moons.loss(h_w.x):.3f}" == "0.088" and f"{moons.accuracy(h_w.x):.2f}" == "0.97"
    assert f"{moons.loss(h_l2.x):.3f}" == "0.298" and f"{moons.accuracy(h_l2.x):.2f}" == "0.87"


def test_l2_inside_adam_decays_unevenly(text, ns):
    says(text, r"multiplied by $1/\sqrt{\hat v_i}$, which here runs from 11.4 to 142.7, a factor 12.6",
         "get a median multiplier of 40.8, the others 95.3: they are decayed less than half as much")
    m, large = ns["multiplier"], ns["large"]
    assert f"{m.min():.1f}" == "11.4" and f"{m.max():.1f}" == "142.7" and f"{m.max() / m.min():.1f}" == "12.6"
    assert large.sum() == 41                                      # the code cell's "41 coordinates"
    hi, lo = np.median(m[large]), np.median(m[~large])
    assert f"{hi:.1f}" == "40.8" and f"{lo:.1f}" == "95.3" and hi < lo / 2
    # the multiplier is what the L2 term's step really is: its share of one Adam step, per coordinate
    opt = ns["adam_l2"]
    assert np.corrcoef(np.log(m), np.log(np.sqrt(opt.v)))[0, 1] < -0.99


# ---------------------------------------------------------------------------- 4. range test
def test_the_range_test_numbers(text, ns):
    says(text, "The smoothed loss is lowest, 0.237, at lr = 0.272, falls fastest at lr = 0.085, "
               "and has shot up to a batch loss of 27.3 by lr = 10",
         "A rate a factor 3 below the lowest point, about 0.09, agrees with the fastest fall",
         "costs 18 times as many steps as the test")
    h = ns["h_range"]
    assert h.steps == 100 and h.lr[0] == pytest.approx(1e-4) and h.lr[-1] == pytest.approx(10.0)
    assert f"{ns['smooth'].min():.3f}" == "0.237" and f"{ns['lr_lowest']:.3f}" == "0.272"
    assert f"{ns['lr_steepest']:.3f}" == "0.085" and f"{h.batch_loss[-1]:.1f}" == "27.3"
    assert round(ns["lr_lowest"] / 3, 2) == 0.09 and abs(ns["lr_steepest"] - 0.09) < 0.01
    assert 6 * 30 * h.steps_per_epoch / h.steps == 18


def test_the_grid_agrees_with_the_range_test(text, ns):
    says(text, "The grid's best rate is 0.1 (final loss 0.097, against 0.26 at 0.03 and 0.297 at 0.3)")
    grid = ns["grid"]
    assert min(grid, key=grid.get) == 0.1
    assert f"{grid[0.1]:.3f}" == "0.097" and f"{grid[0.03]:.2f}" == "0.26" and f"{grid[0.3]:.3f}" == "0.297"


# ---------------------------------------------------------------------------- 5. loss curves
def test_the_four_curves_are_what_the_answer_says(text, ns):
    says(text, "one with a good rate (0.1), one far too high (3.0), one far too low (0.001)",
         "All four start at a loss of 0.790", "**A is too low** (0.001)", "still at 0.360",
         "**B is the bug**", "to 6472 after 30 epochs", "**C is good** (0.1)", "ending at 0.097",
         "**D is too high** (3.0)", "ends at 11.8")
    lrs = {k: lr for k, (_, lr) in ns["diagnosis"].items()}
    assert lrs == {"A": 0.001, "B": 0.1, "C": 0.1, "D": 3.0}
    c = ns["curves"]
    assert all(not h.diverged and h.epochs == 30 for h in c.values())     # "these four all run to the end"
    assert {f"{h.epoch_loss[0]:.3f}" for h in c.values()} == {"0.790"}
    assert f"{c['A'].final_loss:.3f}" == "0.360" and np.all(np.diff(c["A"].epoch_loss) < 0)   # slow, steady
    assert f"{c['B'].final_loss:.0f}" == "6472" and np.all(np.diff(c["B"].epoch_loss) > 0)    # keeps rising
    assert f"{c['C'].final_loss:.3f}" == "0.097" and f"{c['D'].final_loss:.1f}" == "11.8"
    assert c["D"].final_loss > c["D"].epoch_loss[0]                                          # far above the start


def test_a_too_high_rate_does_not_overflow_this_tanh_network(text, ns):
    says(text, "Even at lr = 1000 this tanh network's loss stays finite")
    h = loops.minibatch_gd(ns["moons"], optimizers.Momentum(lr=1000.0), ns["theta0"], batch_size=20,
                           epochs=30, seed=0, record_path=False)
    assert not h.diverged and np.isfinite(h.final_loss)


def test_an_overflow_stops_the_run_with_a_diverged_message():
    q = problems.LinearRegression(*datasets.linear_data(n=32, seed=0))
    h = loops.minibatch_gd(q, optimizers.GD(lr=1e6), np.zeros(2), batch_size=32, epochs=500)
    assert h.diverged and h.message.startswith("diverged")
