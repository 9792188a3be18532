"""The claims in the hints and comments of the checks of understanding of lessons 05-08, against the
library (tests/test_quizzes.py checks the format of every lesson's quiz; these check what the
questions and their hints say about runs)."""
import numpy as np

from lessons_lib import loops, quiz
from lessons_lib.optimizers import GD, Momentum
from lessons_lib.quizzes import lesson05, lesson06, lesson07, lesson08
from lessons_lib.surfaces import Quadratic, Saddle


def _question(lesson, qid):
    return next(q for q in quiz.load(lesson) if q.id == qid)


def test_05_the_panels_show_batch_sizes_by_their_noise_and_step_counts():
    data = lesson05._data(64)
    runs = {name: loops.minibatch_gd(data, GD(0.05), np.zeros(2), batch_size=size, epochs=10, seed=0)
            for name, size in lesson05._PANELS}
    assert [runs[name].steps_per_epoch for name, _ in lesson05._PANELS] == [8, 64, 1]
    spread = {name: np.ptp(np.log10(h.batch_loss[-h.steps_per_epoch:])) for name, h in runs.items()
              if h.steps_per_epoch > 1}
    assert spread["B"] > 2 * spread["A"]          # B = 1 is by far the noisiest


def test_06_on_the_axis_only_the_exact_start_stalls():
    ends = {}
    for name, y0 in lesson06._PANELS:
        h = loops.minimize(Saddle(), GD(0.1), np.array([-1.5, y0]), steps=60)
        d = np.hypot(h.path[:, 0], h.path[:, 1])
        ends[name] = d
    closest = int(np.argmin(ends["A"]))
    assert closest + np.argmax(ends["A"][closest:] > 1.0) <= 40            # leaves within about 40 steps
    assert ends["C"][-1] > ends["C"].min() * 2                             # comes close, then grows again
    assert np.all(np.diff(ends["B"]) < 0)                                  # on the axis: slides in, stays


def test_07_the_rates_behave_as_the_hints_say():
    bowl = lesson07._bowl
    assert 1 - 0.15 * bowl.lambda_max == -0.5                              # steep_component: flips, shrinks
    assert _question("07", "steep_component").answer == 1
    for name, lr in lesson07._PANELS:
        h = loops.minimize(bowl, GD(lr), steps=60)
        assert (h.final_loss > h.epoch_loss[0]) == (lr > lesson07._LIMIT), name


def test_08_the_best_pair_measures_the_rate_of_the_question():
    kappa, s = lesson08._KAPPA, lesson08._RATE
    h = loops.minimize(Quadratic(kappa=kappa), Momentum((1 + s) ** 2 / kappa, gamma=s ** 2), steps=400)
    measured = (np.linalg.norm(h.path[400]) / np.linalg.norm(h.path[200])) ** (1 / 200)
    assert abs(measured / s - 1) < 0.004 and _question("08", "best_rate").is_close(measured)


def test_08_the_largest_gamma_is_the_panel_that_does_not_fall_steadily():
    for name, gamma in lesson08._PANELS:
        h = loops.minimize(lesson08._ravine, Momentum(0.015, gamma=gamma), steps=150)
        rises = int(np.sum(np.diff(h.epoch_loss) > 0))
        assert (rises > 10) == (gamma == max(g for _, g in lesson08._PANELS)), (name, rises)
