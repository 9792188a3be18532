"""What notebooks/12_adam_adamax_nadam.ipynb claims in words, checked against the library.

Each test recomputes a claim with lessons_lib (the same seeded experiment the
notebook runs) and asserts that the notebook's text states exactly that number or
phrase, so the text stays true when the code changes.
"""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import loops, surfaces, widgets  # noqa: E402
from lessons_lib.optimizers import (GD, Momentum, Nesterov, Adagrad, RMSProp, Adadelta,  # noqa: E402
                                    Adam, Adamax, Nadam)

import notebook_text  # noqa: E402

STEM = "12_adam_adamax_nadam"
NINE = (GD, Momentum, Nesterov, Adagrad, RMSProp, Adadelta, Adam, Adamax, Nadam)


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def run_on_gradients(optimizer, gradients):
    """As in the notebook: feed a fixed list of gradients, return the steps taken."""
    theta, steps = np.zeros_like(gradients[0]), []
    for g in gradients:
        new = optimizer.step(theta, lambda x, g=g: g)
        steps.append(new - theta)
        theta = new
    return np.array(steps)


def test_notebook_runs_the_experiments_the_claims_assume(code):
    for snippet in ["np.random.default_rng(0).normal(size=(50, 3))",
                    "Momentum(lr=lr, gamma=0.9), RMSProp(lr=lr, beta=0.999)",
                    "beta1, beta2, lr, T = 0.9, 0.999, 0.01, 5000", "g = np.array([2.0])",
                    "T, spike = 3000, 100", "spiky[spike - 1] = 10.0", "Adam(lr=0.01), Adamax(lr=0.01)",
                    "turn = 50", "np.r_[np.ones(turn), -np.ones(turn)]",
                    "def first_step_lr(cls, surface, fraction=0.01):",
                    "race_steps = {beale: 300, saddle: 100}",
                    "plots.race_html(beale, optimizers_on[beale], steps=race_steps[beale], frames=24)",
                    "plots.race_html(saddle, optimizers_on[saddle], steps=race_steps[saddle], frames=24)",
                    'widgets.OptimizerPlayground(surface=beale, optimizers=["Adam", "Adamax", "Nadam"], steps=300)']:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


def test_links_the_exercises_and_the_spot_the_bug(text):
    assert "[exercises/12_adam_adamax_nadam.ipynb](../exercises/12_adam_adamax_nadam.ipynb)" in text
    assert "spot the bug in the lecture's Adam loop" in text
    for k in (2, 3, 4):
        assert f"[Exercise {k}](../exercises/12_adam_adamax_nadam.ipynb)" in text
    # what the set asks now (solutions/12: Adam step, fix the loop, the efficient form, four Adams)
    notebook_text.says(text, "derive Kingma & Ba's efficient form of the step, and diagnose which of four Adams leaves "
                       "out a bias correction",
                       "[Exercise 3](../exercises/12_adam_adamax_nadam.ipynb) asks you to fold both corrections into "
                       "a learning rate that changes with $t$",
                       "[Exercise 4](../exercises/12_adam_adamax_nadam.ipynb) to diagnose four Adams from their paths")
    assert "write Adamax and Nadam" not in text and "to write Nadam's step" not in text   # tasks the set dropped
    # the lesson points at the buggy slide without naming the bug (m built from v)
    assert "One lecture slide gets one of Adam's two lines wrong" in text
    assert "beta1 * v" not in text and r"\beta_1 v_{t-1}" not in text


# ---------------------------------------------------------------------------- 1. Adam = RMSProp + momentum
def test_adam_is_momentum_and_rmsprop_side_by_side(text):
    gradients = np.random.default_rng(0).normal(size=(50, 3))
    lr = 0.01
    momentum, rmsprop = Momentum(lr=lr, gamma=0.9), RMSProp(lr=lr, beta=0.999)
    adam = Adam(lr=lr, beta1=0.9, beta2=0.999)
    for opt in (momentum, rmsprop, adam):
        run_on_gradients(opt, gradients)
    assert np.abs(adam.m - (1 - 0.9) / lr * momentum.v).max() < 1e-15
    assert np.abs(adam.v - rmsprop.E).max() < 1e-15
    assert "differences below $10^{-15}$" in text
    assert r"rescaled by $(1-\beta_1)/\mathrm{lr}$" in text and "its $v$ is RMSProp's $E$, number for number" in text
    # "about 1/(1 - beta) steps": 10 and 1000
    assert round(1 / (1 - 0.9)) == 10 and round(1 / (1 - 0.999)) == 1000
    assert r"$1/(1-\beta) = 10$ steps" in text and r"$\beta_2 = 0.999$ about 1000" in text


# ---------------------------------------------------------------------------- 2. bias correction
@pytest.fixture(scope="module")
def constant_gradient():
    beta1, beta2, lr, T = 0.9, 0.999, 0.01, 5000
    g = np.array([2.0])
    adam = Adam(lr=lr, beta1=beta1, beta2=beta2)
    theta = np.zeros(1)
    m, v, step = np.empty(T), np.empty(T), np.empty(T)
    for k in range(T):
        new = adam.step(theta, lambda x: g)
        m[k], v[k], step[k] = adam.m[0], adam.v[0], abs(new - theta)[0]
        theta = new
    t = np.arange(1, T + 1)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    eps = adam.eps
    variants = {"adam": step / lr, "m": m / (np.sqrt(v_hat) + eps),
                "v": m_hat / (np.sqrt(v) + eps), "neither": m / (np.sqrt(v) + eps)}
    return dict(g=g[0], t=t, m=m, v=v, m_hat=m_hat, v_hat=v_hat, variants=variants)


def test_m_hat_is_g_exactly_and_m_is_ten_times_too_small(constant_gradient, text):
    c = constant_gradient
    assert c["m_hat"][0] == c["g"]                                   # exactly, after step 1
    np.testing.assert_allclose(c["m_hat"], c["g"], rtol=1e-12)       # and at every step
    assert c["m"][0] == pytest.approx(0.1 * c["g"], rel=1e-14)
    assert r"After step 1, $\hat m = g$ exactly while $m = (1-\beta_1)\,g = 0.1\,g$" in text
    assert "ten times too small" in text
    first_09 = int(c["t"][np.argmax(c["m"] >= 0.9 * c["g"])])
    assert first_09 == 22 and r"reaches $0.9\,g$ only at step 22" in text


def test_v_is_1000_times_too_small_and_slow(constant_gradient, text):
    c = constant_gradient
    g2 = c["g"] ** 2
    assert c["v"][0] == pytest.approx(g2 / 1000, rel=1e-12)
    np.testing.assert_allclose(c["v_hat"], g2, rtol=1e-12)
    half = int(c["t"][np.argmax(c["v"] >= 0.5 * g2)])
    ninety = int(c["t"][np.argmax(c["v"] >= 0.9 * g2)])
    assert (half, ninety) == (693, 2302)
    assert "1000 times too small after step 1 and reaches half of $g^2$ only at step 693" in text
    assert "(and 90% at step 2302)" in text


def test_steps_with_and_without_the_corrections(constant_gradient, text):
    s = constant_gradient["variants"]
    assert s["adam"][0] == pytest.approx(1.0, abs=1e-8)              # "lr to 8 digits"
    assert abs(s["adam"][0] - 1) > 0                                 # eps makes up the difference
    assert "its first step is lr to 8 digits" in text
    np.testing.assert_allclose(s["adam"], 1.0, atol=1e-8)
    assert s["m"][0] == pytest.approx(0.1, rel=1e-6)
    assert "**Without correcting $m$** the first step is 0.1 lr, ten times too short" in text
    assert s["v"][0] == pytest.approx(math.sqrt(1000), rel=1e-6) and f"{s['v'][0]:.1f}" == "31.6"
    assert "the first step is 31.6 lr ($\\sqrt{1000}$)" in text
    neither = s["neither"]
    assert f"{neither[0]:.2f}" == "3.16" and f"{neither.max():.2f}" == "6.57" and neither.argmax() + 1 == 12
    assert "the first step is 3.16 lr, the largest is 6.57 lr at step 12" in text
    last_long = int(constant_gradient["t"][neither > 1.1][-1])
    assert last_long + 1 == 1751
    assert "more than 10% too long until step 1751" in text
    assert "up to 6.57 times too long" in text


# ---------------------------------------------------------------------------- 3. Adamax
@pytest.fixture(scope="module")
def spike_run():
    T, spike = 3000, 100
    spiky = np.ones((T, 1))
    spiky[spike - 1] = 10.0
    adam, adamax = Adam(lr=0.01), Adamax(lr=0.01)
    theta_a = theta_x = np.zeros(1)
    u, root_v_hat, steps_adam, steps_adamax = [], [], [], []
    for k, g in enumerate(spiky, start=1):
        new_a, new_x = adam.step(theta_a, lambda x: g), adamax.step(theta_x, lambda x: g)
        steps_adam.append(abs(new_a - theta_a)[0] / adam.lr)
        steps_adamax.append(abs(new_x - theta_x)[0] / adamax.lr)
        theta_a, theta_x = new_a, new_x
        u.append(adamax.u[0])
        root_v_hat.append(math.sqrt(adam.v[0] / (1 - adam.beta2**k)))
    return dict(T=T, spike=spike, spiky=spiky, adamax=adamax, u=np.array(u), root_v_hat=np.array(root_v_hat),
                adam_steps=np.array(steps_adam), adamax_steps=np.array(steps_adamax), t=np.arange(1, T + 1))


def test_u_is_the_discounted_maximum(spike_run, text):
    r = spike_run
    beta2, eps = r["adamax"].beta2, r["adamax"].eps
    gs = np.abs(r["spiky"][:, 0]) + eps
    for t in (1, 50, 100, 101, 500, 2401, 2402, 3000):           # u_t = max_k beta2^k (|g_(t-k)| + eps)
        expected = np.max(beta2 ** np.arange(t) * gs[:t][::-1])
        assert r["u"][t - 1] == pytest.approx(expected, rel=1e-12), t
    assert r["u"][0] == gs[0]                                       # no bias at the start
    assert r"$u_1 = |g_1| + \mathrm{eps}$" in text
    assert "$u$ is exactly the discounted maximum of all the $|g| + \\mathrm{eps}$ seen so far" in text


def test_adamax_remembers_the_spike_adam_averages_it(spike_run, text):
    r = spike_run
    t, spike, u, rv = r["t"], r["spike"], r["u"], r["root_v_hat"]
    after = t > spike
    assert u[spike - 1] == pytest.approx(10.0, rel=1e-8) and "Adamax's $u$ jumps to 10" in text
    back = int(t[after & (u <= 1 + 1e-6)][0])
    assert back == 2402 and "stays above the usual $|g| = 1$ until step 2402" in text
    k = math.log(10) / -math.log(0.999)
    assert f"{k:.1f}" == "2301.4" and back - spike == math.ceil(k) == 2302
    assert r"2302 steps later (the first whole number above $\ln 10 / (-\ln 0.999) \approx 2301.4$)" in text
    assert f"{rv.max():.2f}" == "1.43" and rv.argmax() + 1 == spike
    assert int(t[after & (rv < 1.1)][0]) == 420
    assert r"$\sqrt{\hat v}$ peaks at 1.43 and is back below 1.1 by step 420" in text
    sa, sx = r["adam_steps"], r["adamax_steps"]
    assert f"{sx[spike - 1]:.2f}" == "0.19" and f"{sa[spike - 1]:.2f}" == "1.33"
    assert "right after the spike they are 0.19 lr (Adam's are 1.33 lr)" in text
    assert f"{sx[999]:.2f}" == "0.25" and "at step 1000 Adamax still steps only 0.25 lr" in text
    shorter = sx < sa
    assert np.all(shorter[spike - 1:2395]) and not shorter[2395]       # steps 100..2395, not 2396
    assert "Up to step 2395 Adamax's steps are the shorter of the two" in text


def test_adamax_steps_are_bounded(text):
    b1, b2 = 0.9, 0.999
    bound = (1 - b1) / (1 - b1 / b2)
    assert f"{bound:.2f}" == "1.01"
    rng = np.random.default_rng(0)
    sequences = [rng.standard_cauchy((2000, 4)),                       # heavy-tailed gradients
                 (b2 ** np.arange(2000))[:, None]]                     # the worst case: |g| shrinking by beta2
    longest = []
    for seq in sequences:
        steps = run_on_gradients(Adamax(lr=0.01, beta1=b1, beta2=b2), seq)
        longest.append(np.abs(steps).max() / 0.01)
    assert max(longest) <= bound * (1 + 1e-9)
    assert longest[1] > 1.009                                           # and the bound is reached
    assert "no step is longer than $\\mathrm{lr}\\,(1-\\beta_1)/(1-\\beta_1/\\beta_2)$: 1.01 lr" in text


# ---------------------------------------------------------------------------- 4. Nadam
def test_nadam_weights_the_new_gradient_more(text):
    b1 = 0.9
    assert f"{1 - b1:.2f}" == "0.10" and f"{1 - b1**2:.2f}" == "0.19"
    assert "With $\\beta_1 = 0.9$ that is 0.19 instead of 0.1" in text
    # the bracket written out: beta1^2 m_(t-1) + (1 - beta1^2) g_t, checked on the library's states
    rng = np.random.default_rng(3)
    gradients = rng.normal(size=(30, 2))
    adam, nadam = Adam(lr=0.01), Nadam(lr=0.01)
    run_on_gradients(adam, gradients[:-1])
    m_prev = adam.m.copy()
    nadam_steps = run_on_gradients(nadam, gradients)
    run_on_gradients(adam, gradients[-1:])
    t, g = nadam.t, gradients[-1]
    v_hat = nadam.v / (1 - nadam.beta2**t)
    expected = -0.01 / (np.sqrt(v_hat) + nadam.eps) * (b1**2 * m_prev + (1 - b1**2) * g) / (1 - b1**t)
    np.testing.assert_allclose(nadam_steps[-1], expected, rtol=1e-10)
    assert r"\big(\beta_1^2 m_{t-1} + (1-\beta_1^2)\, g_t\big)/(1-\beta_1^t)" in text


def test_nadam_is_one_step_ahead_after_a_turn(text):
    turn = 50
    turning = np.r_[np.ones(turn), -np.ones(turn)][:, None]
    steps = {name: run_on_gradients(cls(lr=0.01), turning)[:, 0] / 0.01 for name, cls in [("Adam", Adam), ("Nadam", Nadam)]}
    wrong_way = {name: int(np.argmax(s[turn:] > 0)) for name, s in steps.items()}
    assert wrong_way == {"Adam": 6, "Nadam": 5}
    assert "After the turn Adam keeps going the old way for 6 steps, Nadam for 5" in text
    ahead = np.abs(steps["Nadam"][turn:-1] - steps["Adam"][turn + 1:]).max()
    assert ahead < 0.001 and "(to within 0.001 lr)" in text
    # Nadam skips Adam's first braking step
    assert steps["Nadam"][turn] == pytest.approx(steps["Adam"][turn + 1], abs=0.001)
    assert steps["Adam"][turn] < steps["Nadam"][turn] - 0.1


# ---------------------------------------------------------------------------- 5. the race
def _one_digit(x):
    return float(f"{x:.0e}")


def first_step_lr(cls, surface, fraction=0.01):
    start = np.asarray(surface.start, dtype=float)
    first_step = np.linalg.norm(cls(lr=1.0).step(start, surface.grad) - start)
    (x0, x1), (y0, y1) = surface.window
    return _one_digit(fraction * math.hypot(x1 - x0, y1 - y0) / first_step)


@pytest.fixture(scope="module")
def race():
    beale, saddle = surfaces.Beale(), surfaces.Saddle()
    rates = {s: {cls.__name__: first_step_lr(cls, s) for cls in NINE} for s in (beale, saddle)}
    steps = {beale: 300, saddle: 100}
    opts = {s: {cls.__name__: cls(lr=rates[s][cls.__name__]) for cls in NINE} for s in (beale, saddle)}
    runs = {s: {name: loops.minimize(s, opt, steps=steps[s]) for name, opt in opts[s].items()} for s in (beale, saddle)}
    return dict(beale=beale, saddle=saddle, rates=rates, runs=runs, opts=opts)


def test_learning_rate_rule(race, text):
    beale, saddle, rates = race["beale"], race["saddle"], race["rates"]
    assert rates[beale] == {"GD": 0.002, "Momentum": 0.002, "Nesterov": 0.002, "Adagrad": 0.09, "RMSProp": 0.03,
                            "Adadelta": 30.0, "Adam": 0.09, "Adamax": 0.09, "Nadam": 0.05}
    # for the adaptive methods the rule is the playground's suggested_lr
    for cls in (Adagrad, RMSProp, Adadelta, Adam, Adamax, Nadam):
        for s in (beale, saddle):
            assert rates[s][cls.__name__] == widgets.suggested_lr(cls, s), (cls, s)
    assert "For the adaptive methods it is the rule of `widgets.suggested_lr`" in text
    percents = []
    for s in (beale, saddle):
        start = np.asarray(s.start, dtype=float)
        (x0, x1), (y0, y1) = s.window
        for cls in NINE:
            step = cls(lr=rates[s][cls.__name__]).step(start, s.grad) - start
            percents.append(100 * np.linalg.norm(step) / math.hypot(x1 - x0, y1 - y0))
    assert 0.75 < min(percents) and max(percents) < 1.3
    assert "between about 0.8% and 1.3% of the diagonal" in text
    assert rates[beale]["GD"] == rates[beale]["Momentum"] == rates[beale]["Nesterov"] == 0.002
    assert round(float(np.linalg.norm(beale.grad(beale.start)))) == 77
    assert "On Beale it is 0.002, small because the gradient at the start is large (about 77)" in text


def test_remarks_on_nadam_and_adadelta_rates(race, text):
    nadam_first = np.abs(Nadam(lr=1.0).step(np.zeros(2), lambda x: np.array([3.0, -0.5])))
    np.testing.assert_allclose(nadam_first, 1.9, rtol=1e-7)
    assert r"($\beta_1 \hat m_1 + g_1 = 1.9\, g_1$), so its first step is 1.9 lr" in text
    beale = race["beale"]
    assert race["rates"][beale]["Adadelta"] == 30.0 and "Adadelta gets lr = 30 on Beale" in text
    start = np.asarray(beale.start, dtype=float)
    first = np.abs(Adadelta(lr=1.0).step(start, beale.grad) - start)
    np.testing.assert_allclose(first, math.sqrt(1e-6 / (1 - 0.9)), rtol=1e-3)   # sqrt(eps/(1-rho)) per coordinate
    assert r"$\sqrt{\mathrm{eps}/(1-\rho)}$ per coordinate" in text
    assert "with lr = 1 it would leave the start 30 times slower" in text


def test_what_the_beale_race_shows(race, text):
    beale, runs = race["beale"], race["runs"][race["beale"]]
    dist = {n: np.linalg.norm(h.path - beale.minima[0], axis=1) for n, h in runs.items()}
    for n in ("Momentum", "Nesterov", "Adam"):
        assert dist[n][-1] < 0.06 and runs[n].final_loss < 1e-3, n
    assert "Momentum, Nesterov and Adam are all within 0.06 of the minimum with a loss below $10^{-3}$" in text
    others = [n for n in dist if n not in ("Momentum", "Nesterov", "Adam", "RMSProp")]
    assert all(dist[n][-1] > 0.06 for n in others)
    assert dist["RMSProp"][-1] < 0.06 and runs["RMSProp"].final_loss > 10 * runs["Adam"].final_loss
    assert "RMSProp also arrives close but keeps jittering" in text
    assert dist["GD"][-1] > 0.7 and dist["Adagrad"][-1] > 0.7
    assert "GD and Adagrad are still more than 0.7 away" in text
    near = np.flatnonzero(dist["Adadelta"] < 0.1)
    assert near[0] == 111 and dist["Adadelta"][-1] > 0.3
    assert "Adadelta passes within 0.1 of the minimum (at step 111) and then starts to oscillate" in text
    adam, adamax = race["opts"][beale]["Adam"], race["opts"][beale]["Adamax"]   # state after the last run
    ratio = adamax.u / np.sqrt(adam.v / (1 - adam.beta2**adam.t))
    assert adam.t == adamax.t == 300 and [round(r) for r in ratio] == [7, 9]
    assert "7 and 9 times Adam's $\\sqrt{\\hat v}$ in the two coordinates at step 300" in text


def test_what_the_saddle_race_shows(race, text):
    runs, rates = race["runs"][race["saddle"]], race["rates"][race["saddle"]]
    gd = runs["GD"]
    assert rates["GD"] == 0.02 and abs(gd.x[1]) < 0.06
    np.testing.assert_allclose(gd.path[:, 1], 1e-3 * (1 + 2 * 0.02) ** np.arange(101), rtol=1e-12)
    assert "after 100 steps it is still within 0.06 of the ridge" in text
    assert r"$1 + 2\,\mathrm{lr} = 1.04$ per step" in text
    assert math.ceil(math.log(1e3) / math.log(1.04)) == 177 and "about 176 steps" in text
    escaped = {n: np.flatnonzero(np.abs(h.path[:, 1]) >= 1) for n, h in runs.items()}
    assert escaped["GD"].size == 0
    first = {n: int(e[0]) for n, e in escaped.items() if e.size}
    assert set(first) == {"Momentum", "Nesterov", "Adagrad", "RMSProp", "Adadelta", "Adam", "Adamax", "Nadam"}
    assert "Every other optimizer escapes within the 100 steps" in text
    assert min(first, key=first.get) == "Adadelta" and first["Adadelta"] == 8
    assert max(first, key=first.get) == "Adagrad" and first["Adagrad"] == 85
    assert "Adadelta is out first (step 8) and Adagrad last (step 85)" in text


def test_playground_uses_the_same_rule(race, text):
    w = widgets.OptimizerPlayground(surface=race["beale"], optimizers=["Adam", "Adamax", "Nadam"], steps=300)
    for name in ("Adam", "Adamax", "Nadam"):
        assert w.hyper[name]["lr"].value == race["rates"][race["beale"]][name]
        np.testing.assert_array_equal(w.histories[name].path, race["runs"][race["beale"]][name].path)
    assert "with the playground's suggested rates (the same rule as above)" in text
    assert "Adamax and Nadam at Adam's lr = 0.09" in text and race["rates"][race["beale"]]["Adam"] == 0.09


# ---------------------------------------------------------------------------- the libraries' Nadam
def _mu_torch(t, beta1=0.9, momentum_decay=0.004):
    return beta1 * (1 - 0.5 * 0.96 ** (momentum_decay * t))      # torch.optim.NAdam


def _mu_keras(t, beta1=0.9):
    return beta1 * (1 - 0.5 * 0.96 ** t)                           # keras.optimizers.Nadam (Keras 3)


def test_the_libraries_nadam_uses_dozats_schedule_not_a_constant_beta1(text):
    notebook_text.says(text, "`torch.optim.NAdam` and Keras's `Nadam` implement Dozat's original",
                       r"torch $\mu_t = \beta_1\,(1 - \tfrac12\, 0.96^{0.004\,t})$",
                       r"Keras 3 $\mu_t = \beta_1\,(1 - \tfrac12\, 0.96^{\,t})$",
                       r"both start near $\beta_1/2$ (0.4501 and 0.4680)", "Keras's reaches 0.89 by step 100",
                       "torch's is still 0.52 after 1000 steps")
    assert f"{_mu_torch(1):.4f}" == "0.4501" and f"{_mu_keras(1):.4f}" == "0.4680"
    assert f"{_mu_keras(100):.2f}" == "0.89" and f"{_mu_torch(1000):.2f}" == "0.52"
    for t in (1, 2, 3, 10, 100):
        assert abs(_mu_torch(t) - 0.9) > 0.3 and abs(_mu_keras(t) - 0.9) > 0.007
    # the first step of torch's NAdam (its documented rule) against the course's Nadam
    from lessons_lib.optimizers import Nadam
    g = np.array([1.0, -2.0])
    course = Nadam(lr=0.1).step(np.zeros(2), lambda x: g)
    mu1, mu2 = _mu_torch(1), _mu_torch(2)
    m = (1 - 0.9) * g
    v = (1 - 0.999) * g * g
    denom = np.sqrt(v / (1 - 0.999)) + 1e-8
    torch_first = -0.1 * ((1 - mu1) / (1 - mu1) * g / denom + mu2 / (1 - mu1 * mu2) * m / denom)
    # torch's bracket is g + mu_2 m_1 / (1 - mu_1 mu_2) = 1.056 g on the first step, the course's 1.9 g
    factor = 1 + mu2 * 0.1 / (1 - mu1 * mu2)
    assert f"{factor:.3f}" == "1.056"
    np.testing.assert_allclose(torch_first, -0.1 * factor * g / denom, rtol=1e-12)
    np.testing.assert_allclose(course / torch_first, 1.9 / factor, rtol=1e-6)


# ---------------------------------------------------------------------------- what the race rule favours
def test_equal_first_steps_favour_the_methods_whose_steps_grow(race, text):
    notebook_text.says(text, "**What the rule favours.** Equal first steps are not equal steps later",
                       r"up to $1/(1-\gamma) = 10$ times GD's step for a steady gradient",
                       "GD's mean step is a quarter of its first (0.25)",
                       "Momentum's and Nesterov's mean steps are 1.51 and 1.37 times their first, and up to 15 times "
                       "GD's step at the same $t$", "GD escapes at step 21",
                       "the rule favours methods whose steps grow (momentum's up to 15 times GD's there)")
    saddle, runs = race["saddle"], race["runs"][race["saddle"]]
    gd = np.linalg.norm(np.diff(runs["GD"].path, axis=0), axis=1)
    measured = {}
    for name, h in runs.items():
        lengths = np.linalg.norm(np.diff(h.path, axis=0), axis=1)
        out = np.flatnonzero(np.abs(h.path[:, 1]) >= 1)
        k = out[0] if out.size else h.steps
        measured[name] = (lengths[:k].mean() / lengths[0], np.max(lengths[:k] / gd[:k]))
    assert f"{measured['GD'][0]:.2f}" == "0.25"
    assert f"{measured['Momentum'][0]:.2f}" == "1.51" and f"{measured['Nesterov'][0]:.2f}" == "1.37"
    assert round(measured["Momentum"][1]) == 15 and round(measured["Nesterov"][1]) == 15
    assert max(r for _, r in measured.values()) == measured["Momentum"][1]
    # a steady gradient: momentum's step tends to lr*g/(1-gamma), ten times GD's
    opt, theta = Momentum(lr=0.01, gamma=0.9), np.zeros(1)
    for _ in range(300):
        new = opt.step(theta, lambda x: np.array([1.0]))
        step, theta = abs(new - theta)[0], new
    assert step == pytest.approx(10 * 0.01, rel=1e-10)
    gd_10 = loops.minimize(saddle, GD(lr=10 * race["rates"][saddle]["GD"]), steps=100)
    assert np.flatnonzero(np.abs(gd_10.path[:, 1]) >= 1)[0] == 21
    assert "only plain GD stays stuck at the saddle; but the rule favours" in text


def test_predict_first_and_the_closing_boxes(text, code):
    notebook_text.assert_lesson_closing(text, 6, urls=('https://arxiv.org/abs/1412.6980', 'https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ'))
    assert "[13 · Backpropagation](13_backpropagation.ipynb)" in text
    assert "AMSGrad" not in text                                       # taught in lesson 19, not here
    assert "plots.curves(" in code                                     # plotting boilerplate lives in plots
