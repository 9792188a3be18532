"""Checkers for ``solutions/16_training_tricks.ipynb``: inverted dropout, a batch-normalisation listing to
fix, gradient noise, early stopping, and what batch norm does when a layer's weights are scaled.

lessons_lib has no dropout, batch-norm, gradient-noise or early-stopping code
(the lessons build them), so the answer keys are the short reference functions
below, each the formula of the task written out once. The early-stopping curves
come from a seeded run of :func:`lessons_lib.loops.minibatch_gd` on an MLP, with
a callback that measures the validation loss after every epoch. The key of exercise 5 is
:class:`lessons_lib.problems.DeepTanhNet` with batch norm, measured.
"""
import functools

import numpy as np

from lessons_lib.datasets import train_test_split, two_moons
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.grading._answers import bug_subsets, bugs_left
from lessons_lib.loops import minibatch_gd
from lessons_lib.optimizers import Adam
from lessons_lib.problems import MLP, DeepTanhNet

__all__ = ["dropout", "batchnorm_forward", "gradient_noise", "best_epoch", "validation_curve", "scaled_weights",
           "LISTING_BUGS"]


def _close(a, b, rtol=1e-10, atol=1e-12):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def _rng_state(rng):
    return rng.bit_generator.state


# -- exercise 1: inverted dropout ---------------------------------------------------

def _dropout_case(shape, p, seed):
    a = np.random.default_rng(1000 + seed).normal(size=shape)
    dout = np.random.default_rng(2000 + seed).normal(size=shape)
    return a, dout, p, seed


def dropout(forward, backward, hidden=False):
    """Exercise 1: ``dropout_forward(a, p, rng) -> (out, mask)`` and ``dropout_backward(dout, mask, p)``.

    The mask must be ``rng.random(a.shape) < p`` (one draw from the rng given), so the
    checker can repeat it; out = a * mask / p, the gradient dout * mask / p."""
    cases = [_dropout_case((40, 25), 0.8, 0), _dropout_case((30, 10), 0.5, 1)]
    if hidden:
        cases = [_dropout_case((7,), 0.9, hidden_seed(2)), _dropout_case((4, 5, 6), 0.3, hidden_seed(3)),
                 _dropout_case((10, 10), 1.0, hidden_seed(4)), _dropout_case((200, 50), 0.6, hidden_seed(5))]
    for a, dout, p, seed in cases:
        mask = _check_dropout_forward(forward, a, p, seed)
        _check_dropout_backward(backward, dout, mask, p)
    # the point of the 1/p: on average the output equals the input
    a = np.ones((400, 250))
    out, _ = call(forward, a, 0.7, np.random.default_rng(99), what="your dropout_forward")
    mean = float(np.mean(as_array(out, "the output of your dropout_forward", shape=a.shape)))
    require(abs(mean - 1.0) < 0.01,
            f"on an array of ones your dropout_forward's output averages {mean:.3f}; with inverted dropout "
            "the expected output equals the input")


def _check_dropout_forward(forward, a, p, seed):
    what = "your dropout_forward"
    where = f"(a of shape {a.shape}, p = {p})"
    rng = np.random.default_rng(seed)
    before = _rng_state(rng)
    arg = a.copy()
    out = call(forward, arg, p, rng, what=what)
    require(np.array_equal(arg, a), f"{what} changed the array a you passed in: return a new array")
    require(isinstance(out, (tuple, list)) and len(out) == 2,
            f"{what} should return two things, (out, mask); got {type(out).__name__}")
    out, mask = out
    mask = as_array(mask, f"the mask {what} returned", shape=a.shape)
    out = as_array(out, f"the output of {what}", shape=a.shape)
    u = np.random.default_rng(seed).random(a.shape)
    expected_mask = (u < p).astype(float)
    if not np.array_equal(mask, expected_mask):
        require(_rng_state(rng) != before,
                f"your mask {where} does not come from the rng you were given (it was never used): "
                "draw the mask from rng so that a seeded run can be repeated")
        for keep in (u < 1 - p, u >= p, u > p):
            require(p == 0.5 or not np.array_equal(mask, keep.astype(float)),
                    f"your mask {where} keeps each unit with probability 1 - p; p is the probability to keep a unit")
        require(set(np.unique(mask)) <= {0.0, 1.0},
                f"your mask {where} should hold only 0/1 (or False/True): it marks which units are kept")
        raise Feedback(f"your mask {where} is random but not drawn as the task says (rng.random(a.shape) < p, "
                       "one call), so it cannot be reproduced from the seed")
    expected = a * expected_mask / p
    if _close(out, expected):
        return expected_mask.astype(bool)
    require(not _close(out, a * expected_mask),
            f"the kept units of your output {where} are not rescaled: on average your output is p times "
            "the input; inverted dropout rescales so that the expected output equals the input")
    require(not _close(out, a * expected_mask * p),
            f"your output {where} multiplies the kept units by p: that shrinks them further instead of "
            "making up for the dropped ones")
    require(not _close(out, a * (1 - expected_mask) / p),
            f"your output {where} keeps the units your mask drops: use the mask, not its complement")
    raise Feedback(f"your output {where} is not the input with your mask applied and rescaled")


def _check_dropout_backward(backward, dout, mask, p):
    what = "your dropout_backward"
    where = f"(shape {dout.shape}, p = {p})"
    args = (dout.copy(), mask.copy())
    got = call(backward, args[0], args[1], p, what=what)
    require(np.array_equal(args[0], dout) and np.array_equal(args[1], mask),
            f"{what} changed an array you passed in: return a new array")
    got = as_array(got, f"the gradient {what} returned", shape=dout.shape)
    expected = dout * mask / p
    if _close(got, expected):
        return
    require(not (_close(got, dout * mask) and p != 1),
            f"your backward pass {where} does not scale the gradient by the same factor as the forward "
            "pass scales the activations")
    require(not _close(got, dout / p),
            f"your backward pass {where} lets gradient through the dropped units: a dropped unit did not "
            "affect the output, so its gradient is zero (reuse the forward pass's mask)")
    raise Feedback(f"your backward pass {where} is not the gradient of your forward pass (with the same mask)")


# -- exercise 2: batch normalisation, forward -------------------------------------

def _batchnorm_reference(X, gamma, beta, eps):
    mean = X.mean(axis=0)
    var = X.var(axis=0)
    return gamma * (X - mean) / np.sqrt(var + eps) + beta


def _batchnorm_variants(X, gamma, beta, eps):
    mu0, var0 = X.mean(axis=0), X.var(axis=0)
    mu1, var1 = X.mean(axis=1, keepdims=True), X.var(axis=1, keepdims=True)
    return [
        (gamma * (X - mu1) / np.sqrt(var1 + eps) + beta,
         "you normalised each example across its features; batch normalisation normalises each feature "
         "over the batch (the statistics are taken along the other axis)"),
        ((X - mu1) / np.sqrt(var1 + eps) * gamma + beta, "you normalised each example across its features; "
         "batch normalisation normalises each feature over the batch"),
        (gamma * (X - X.mean()) / np.sqrt(X.var() + eps) + beta,
         "you used one mean and one variance for the whole array; batch normalisation keeps one per feature"),
        (gamma * (X - mu0) / (np.sqrt(var0) + eps) + beta,
         "your eps is added after the square root; here it is added to the variance, under the root"),
        (gamma * (X - mu0) / np.sqrt(var0) + beta, "your output does not depend on eps: it belongs under the "
         "square root, added to the variance (it keeps a constant feature from dividing by zero)"),
        (gamma * (X - mu0) / np.sqrt(X.var(axis=0, ddof=1) + eps) + beta,
         "your variance divides by m - 1; batch normalisation uses the batch's own variance, dividing by m"),
        (gamma * (X - mu0) / (var0 + eps) + beta, "you divided by the variance: normalise by the standard deviation"),
        (beta * (X - mu0) / np.sqrt(var0 + eps) + gamma, "gamma and beta are swapped: gamma scales, beta shifts"),
        ((X - mu0) / np.sqrt(var0 + eps), "your output ignores gamma and beta: scale by gamma, then shift by beta"),
    ]


def _batchnorm_case(m, d, seed, eps):
    rng = np.random.default_rng(seed)
    # features on different scales and offsets, so that every axis mistake shows
    X = rng.normal(size=(m, d)) * rng.uniform(0.2, 3.0, size=d) + rng.uniform(-5, 5, size=d)
    gamma = rng.uniform(0.5, 2.0, size=d)
    beta = rng.normal(size=d)
    return X, gamma, beta, eps


def batchnorm_forward(fn, hidden=False):
    """Exercise 2: ``batchnorm_forward(X, gamma, beta, eps=1e-5) -> out`` for X of shape (m, d), the listing
    fixed; an answer that still holds some of the listing's bugs is told which."""
    cases = [_batchnorm_case(16, 5, 0, 1e-5), _batchnorm_case(8, 3, 1, 0.5)]
    if hidden:
        small = _batchnorm_case(10, 4, hidden_seed(2), 0.1)
        small[0][:, 0] *= 0.05  # a feature with tiny variance: eps matters a lot
        const = _batchnorm_case(6, 3, hidden_seed(3), 1e-5)
        const[0][:, 1] = 2.5    # a constant feature: only eps keeps it finite
        cases = [small, const, _batchnorm_case(2, 7, hidden_seed(4), 1e-5), _batchnorm_case(64, 10, hidden_seed(5), 1e-3)]
    for X, gamma, beta, eps in cases:
        _check_batchnorm_case(fn, X, gamma, beta, eps)


# the listing of exercise 2 has these three bugs
LISTING_BUGS = ("axis", "ddof", "eps_outside")
_LISTING_MESSAGES = {
    "axis": "the statistics are still taken across each example's features; batch normalisation takes them "
            "for each feature over the batch",
    "ddof": "the variance still divides by m - 1; batch normalisation uses the batch's own variance, dividing by m",
    "eps_outside": "eps is still added after the square root; it belongs under it, added to the variance",
}


def listing_variant(X, gamma, beta, eps, bugs=()):
    """The listing's batch-norm forward pass with some of its bugs left in (none: the correct one)."""
    axis = 1 if "axis" in bugs else 0
    mean = X.mean(axis=axis, keepdims=True)
    var = X.var(axis=axis, ddof=1 if "ddof" in bugs else 0, keepdims=True)
    root = np.sqrt(var) + eps if "eps_outside" in bugs else np.sqrt(var + eps)
    return gamma * (X - mean) / root + beta


def _check_batchnorm_case(fn, X, gamma, beta, eps):
    what = "your batchnorm_forward"
    where = f"(X of shape {X.shape}, eps = {eps:g})"
    args = (X.copy(), gamma.copy(), beta.copy())
    with np.errstate(all="ignore"):
        out = call(fn, *args, eps=eps, what=what)
    for name, a, b in zip(("X", "gamma", "beta"), args, (X, gamma, beta)):
        require(np.array_equal(a, b), f"{what} changed the array {name} you passed in: return a new array")
    out = as_array(out, f"the output of {what}", shape=X.shape)
    expected = _batchnorm_reference(X, gamma, beta, eps)
    if _close(out, expected, rtol=1e-8, atol=1e-10):
        return
    with np.errstate(all="ignore"):
        for bugs in bug_subsets(LISTING_BUGS):
            variant = listing_variant(X, gamma, beta, eps, bugs)
            if len(X) > 1 and np.allclose(out, variant, rtol=1e-8, atol=1e-10):
                raise bugs_left(bugs, _LISTING_MESSAGES, where)
        for variant, message in _batchnorm_variants(X, gamma, beta, eps):
            require(not (variant.shape == out.shape and np.allclose(out, variant, rtol=1e-8, atol=1e-10)),
                    f"{message} {where}")
    require(np.all(np.isfinite(out)), f"your output {where} contains inf or nan")
    plain = (out - beta) / gamma
    raise Feedback(f"your output {where} is not gamma * normalised X + beta: with the shift and scale "
                   f"undone, its columns have means {np.round(plain.mean(axis=0), 3).tolist()}")


# -- exercise 3: gradient noise -------------------------------------------------------

def _variance_reference(t, eta, gamma):
    return eta / (1.0 + np.asarray(t, dtype=float)) ** gamma


def gradient_noise(noise_variance, add_gradient_noise, hidden=False):
    """Exercise 3: ``noise_variance(t, eta, gamma=0.55)`` = eta / (1 + t)^gamma (Neelakantan et al. 2015)
    and ``add_gradient_noise(g, t, rng, eta, gamma=0.55)`` = g + rng.normal(0, sigma_t, g.shape)."""
    steps = np.array([0, 1, 2, 10, 100, 1000, 10_000])
    etas = (0.01, 0.3, 1.0) if not hidden else (0.05, 2.0)
    gammas = (0.55,) if not hidden else (0.55, 1.0, 0.25)
    for eta in etas:
        for gamma in gammas:
            kwargs = {} if gamma == 0.55 and not hidden else {"gamma": gamma}
            _check_variance(noise_variance, steps, eta, gamma, kwargs)
    cases = [((5, 3), 0, 0.3, 0), ((8,), 50, 1.0, 1)]
    if hidden:
        cases = [((2, 3, 4), 1000, 0.01, hidden_seed(2)), ((1,), 3, 0.3, hidden_seed(3))]
    for shape, t, eta, seed in cases:
        _check_noisy_gradient(add_gradient_noise, shape, t, eta, seed)


def _check_variance(fn, steps, eta, gamma, kwargs):
    what = "your noise_variance"
    expected = _variance_reference(steps, eta, gamma)
    where = f"(eta = {eta}, gamma = {gamma})"
    got = []
    for t in steps:
        try:
            with np.errstate(all="ignore"):
                value = call(fn, int(t), eta, what=what, **kwargs)
        except Feedback as fb:
            if isinstance(fb.__cause__, ZeroDivisionError):
                raise Feedback(f"{what} divides by zero at t = {t}: "
                               "look at what is raised to the power gamma") from None
            raise
        got.append(float(as_array(value, f"the variance {what} returned at t = {t}", shape=())))
    got = np.array(got)
    with np.errstate(all="ignore"):
        variants = [
            (eta / steps.astype(float) ** gamma,
             "at t = 0 your variance is infinite: look at what is raised to the power gamma"),
            (np.sqrt(expected),
             "you returned the standard deviation sigma_t; this function returns the variance sigma_t^2"),
            (eta * (1.0 + steps) ** gamma, "your variance grows with t: the noise should fade as training goes on"),
            (eta / (1.0 + steps ** gamma), "you raise only t to the power gamma; the schedule raises (1 + t)"),
            (eta / (1.0 + steps) * gamma, "you multiply by gamma; in the schedule gamma is an exponent"),
        ]
    if not _close(got, expected):
        for variant, message in variants:
            require(not np.allclose(got, variant, rtol=1e-10, atol=1e-14, equal_nan=True), f"{message} {where}")
        require(np.all(np.isfinite(got)), f"{what} {where} returned inf or nan")
        raise Feedback(f"{what} {where} gives {got[0]:.4g} at t = 0 and {got[-1]:.4g} at t = {steps[-1]}: "
                       "check it against the formula in the task")
    # steps as an array: one variance per step
    try:
        with np.errstate(all="ignore"):
            vec = call(fn, steps, eta, what=what, **kwargs)
    except Feedback as fb:
        raise Feedback(f"{what} works for one t at a time but not for a numpy array of steps ({fb}); "
                       "numpy's arithmetic works on whole arrays, the math module's does not") from None
    vec = as_array(vec, f"the variances {what} returned for an array of steps", shape=steps.shape)
    require(_close(vec, expected), f"{what} {where} is right for one t at a time but not for an array of steps")


def _check_noisy_gradient(fn, shape, t, eta, seed):
    what = "your add_gradient_noise"
    g = np.random.default_rng(500 + seed).normal(size=shape)
    where = f"(g of shape {shape}, t = {t}, eta = {eta})"
    rng = np.random.default_rng(seed)
    before = _rng_state(rng)
    arg = g.copy()
    got = call(fn, arg, t, rng, eta, what=what)
    require(np.array_equal(arg, g), f"{what} changed the gradient g you passed in: return a new array")
    got = as_array(got, f"the noisy gradient {what} returned", shape=shape)
    var = float(_variance_reference(t, eta, 0.55))
    z = np.random.default_rng(seed).standard_normal(shape)
    if _close(got, g + np.sqrt(var) * z):
        return
    require(_rng_state(rng) != before,
            f"your noise {where} does not come from the rng you were given (it was never used)")
    require(not _close(got, g + var * z),
            f"you passed the variance where numpy wants the standard deviation (rng.normal's scale) {where}")
    require(not _close(got, g), f"your gradient {where} has no noise added")
    require(not _close(got, np.sqrt(var) * z), f"your function {where} returns the noise alone: add it to g")
    raise Feedback(f"your noisy gradient {where} is not g plus one draw rng.normal(0, sigma_t, size=g.shape)")


# -- exercise 4: early stopping ------------------------------------------------------

def _best_epoch_reference(val_losses, patience):
    """(epoch to restore, epoch at which training stops); epochs count from 1."""
    best, best_at = np.inf, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_at = loss, epoch
        elif epoch - best_at >= patience:
            return best_at, epoch
    return best_at, len(val_losses)


def _variant_ties(val_losses, patience):
    best, best_at = np.inf, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss <= best:
            best, best_at = loss, epoch
        elif epoch - best_at >= patience:
            return best_at, epoch
    return best_at, len(val_losses)


def _variant_previous(val_losses, patience):
    """The lecture's 'if it increases, stop', with patience counted since the last decrease."""
    best, best_at, wait, previous = np.inf, 0, 0, np.inf
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_at = loss, epoch
        wait = 0 if loss < previous else wait + 1
        previous = loss
        if wait >= patience:
            return best_at, epoch
    return best_at, len(val_losses)


def _variant_shift(val_losses, patience, shift):
    best, best_at = np.inf, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_at = loss, epoch
        elif epoch - best_at >= patience + shift:
            return best_at, epoch
    return best_at, len(val_losses)


@functools.lru_cache(maxsize=None)
def validation_curve(n=100, noise=0.2, epochs=80, seed=0):
    """Validation loss after each epoch of a seeded run that overfits (a tuple of floats).

    A 32-unit tanh MLP trained with Adam (lr = 0.003, batches of 10) on half of a
    two-moons set of n points, the other half held out; ``minibatch_gd`` calls
    back after every epoch and the callback records the held-out loss. With the
    defaults the loss falls to its lowest at epoch 15 and then climbs."""
    X, y = two_moons(n=n, noise=noise, seed=seed)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_fraction=0.5, seed=seed)
    train = MLP(X_train, y_train, hidden=(32,))
    val = MLP(X_val, y_val, hidden=(32,))
    losses = []
    minibatch_gd(train, Adam(lr=0.003), train.init(seed), batch_size=10, epochs=epochs, seed=seed,
                 callback=lambda epoch, theta: losses.append(val.loss(theta)), record_path=False)
    return tuple(losses)


def _curves(hidden):
    if not hidden:
        overfit = list(validation_curve())
        noisy = list(validation_curve(n=60, noise=0.4))
        return [(overfit, 1), (overfit, 5), (overfit, 100), (noisy, 2), (noisy, 3), (noisy, 8), (noisy, 20),
                ([0.8, 0.6, 0.6, 0.7, 0.6, 0.5], 3)]
    rng = np.random.default_rng(hidden_seed(7))
    walk = list(1.0 + np.cumsum(rng.normal(scale=0.05, size=80)))
    other = list(validation_curve(n=80, noise=0.3, epochs=60, seed=1))
    return [(other, 4), (other, 15), (walk, 2), (walk, 6),
            ([3.0, 2.0, 1.0], 1), ([1.0, 1.0, 1.0, 1.0], 2), ([1.0, 2.0, 0.5], 1), ([0.5, 0.7, 0.6, 0.9], 2),
            ([2.0], 5), ([1.0, 0.9, 0.9, 0.9, 0.9, 0.8], 3)]


def best_epoch(fn, hidden=False):
    """Exercise 4: ``best_epoch(val_losses, patience) -> (restore_epoch, stop_epoch)``, epochs from 1."""
    for losses, patience in _curves(hidden):
        _check_best_epoch_case(fn, losses, patience)


def _check_best_epoch_case(fn, losses, patience):
    what = "your best_epoch"
    where = (f"(patience = {patience}, on a curve of {len(losses)} epochs"
             + (f": {losses})" if len(losses) <= 8 else ")"))
    arg = list(losses)
    got = call(fn, arg, patience, what=what)
    require(arg == list(losses), f"{what} changed the list val_losses you passed in")
    require(isinstance(got, (tuple, list)) and len(got) == 2,
            f"{what} should return two epoch numbers, (restore_epoch, stop_epoch); got {got!r}")
    ref = _best_epoch_reference(losses, patience)
    restore, stop = ref
    never = stop == len(losses) and _best_epoch_reference(losses + [np.inf], patience)[1] > len(losses)
    try:
        got = tuple(int(v) for v in got)
    except (TypeError, ValueError):
        require(not never, f"{what} returned {got!r} {where}: patience never runs out here, so training "
                           f"runs all {len(losses)} epochs, and that is the stop epoch")
        raise Feedback(f"{what} should return two whole numbers, got {got!r}") from None
    if got == ref:
        return
    require(got != (restore - 1, stop - 1),
            f"your epochs are counted from 0 {where}: val_losses[0] is the loss after epoch 1")
    require(not (got[0] > got[1]),
            f"your restore epoch comes after the epoch where training stopped {where}: the run never sees "
            "those losses")
    require(got != (stop, stop) or restore == stop,
            f"you restore the epoch where training stopped {where}; early stopping goes back to the best epoch")
    require(got != _variant_ties(losses, patience),
            f"you count a loss equal to the best so far as an improvement {where}; only a strictly lower loss is one")
    require(got != _variant_previous(losses, patience),
            f"your patience counter restarts whenever the loss goes down from one epoch to the next {where}; "
            "it should restart only when the loss beats the best so far")
    if got[0] == restore:
        require(not never or got[1] == len(losses),
                f"patience never runs out here {where}: training runs all {len(losses)} epochs, and that is "
                "the stop epoch")
        require(got[1] != stop + 1, f"you stop one epoch late {where}: training stops as soon as patience "
                                    "epochs in a row have brought no improvement")
        require(got[1] != stop - 1, f"you stop one epoch early {where}: training stops once patience epochs "
                                    "in a row have brought no improvement, not before")
    raise Feedback(f"{what} returned {got} {where}; that is not where this run restores and stops")


# -- exercise 5: batch norm and the scale of the weights ----------------------------------

SCALE = 10.0


def _scaled_weights_ratios():
    """(loss, |dL/dW_1|, |dL/dW_2|) after W_1 is multiplied by SCALE, over before, for a DeepTanhNet with
    batch norm (6 layers of 16 units, two moons, weights of standard deviation 0.5)."""
    X, y = two_moons(n=200, noise=0.1, seed=0)
    net = DeepTanhNet(X, y, width=16, depth=6, axis=0)
    theta = net.init(0.5, seed=0)
    first = X.shape[1] * net.width                         # W_1 is the first block of theta
    second = slice(first, first + net.width * net.width)
    scaled = theta.copy()
    scaled[:first] *= SCALE
    g, g_scaled = net.grad(theta), net.grad(scaled)
    return (net.loss(scaled) / net.loss(theta),
            np.linalg.norm(g_scaled[:first]) / np.linalg.norm(g[:first]),
            np.linalg.norm(g_scaled[second]) / np.linalg.norm(g[second]))


def scaled_weights(loss_ratio, grad_W1_ratio, grad_W2_ratio, hidden=False):
    """Exercise 5: the three ratios (after / before) when W_1 of a batch-norm network is multiplied by SCALE,
    against the library's DeepTanhNet within 3%. (hidden adds nothing: the question has one answer.)"""
    values = []
    for name, value in (("loss_ratio", loss_ratio), ("grad_W1_ratio", grad_W1_ratio), ("grad_W2_ratio", grad_W2_ratio)):
        require(isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool),
                f"{name} should be a number, got {type(value).__name__}")
        values.append(float(value))
    loss, g1, g2 = values
    key_loss, key_g1, key_g2 = _scaled_weights_ratios()

    def near(value, target):
        return abs(value - target) <= 0.03 * abs(target)
    if not near(loss, key_loss):
        require(not near(loss, SCALE) and not near(loss, 1 / SCALE),
                "loss_ratio: batch norm divides every unit's input by its standard deviation over the batch; "
                "what is left of a factor that multiplies W_1?")
        raise Feedback("loss_ratio: follow the forward pass: z_1 = X W_1 is multiplied, then normalised per unit")
    if not near(g1, key_g1):
        require(not near(g1, SCALE), "grad_W1_ratio: a larger weight does not get a larger gradient here: if "
                                     "L(c W) = L(W) for every c, differentiate both sides with respect to W")
        require(not near(g1, 1.0), "grad_W1_ratio: the loss is the same, but its gradient is taken at the scaled "
                                   "W_1: L(c W) = L(W); differentiate both sides with respect to W")
        require(not near(g1, 1 / SCALE ** 2), "grad_W1_ratio: one factor 1/c too many; 1/c^2 is what happens to "
                                              "the relative size of a step, |gradient| / |W_1|")
        raise Feedback("grad_W1_ratio: use L(c W_1) = L(W_1) and the chain rule")
    if not near(g2, key_g2):
        require(not near(g2, 1 / SCALE), "grad_W2_ratio: W_2 was not scaled, and after the norm the activations "
                                         "that reach it are the same as before")
        require(not near(g2, SCALE), "grad_W2_ratio: the activations of layer 1 come out of a norm and a tanh: "
                                     "they are not larger")
        raise Feedback("grad_W2_ratio: what does layer 2 see of the change in W_1?")
