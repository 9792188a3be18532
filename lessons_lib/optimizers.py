"""The course's optimizers: one short class per update rule.

Every optimizer has the same interface::

    opt = Adam(lr=0.01)
    theta = opt.step(theta, grad_fn)   # one update; grad_fn(x) is the gradient at x
    opt.reset()                        # forget all state (velocity, moments, t)

``step`` calls ``grad_fn`` exactly once, at the point its rule names (Nesterov: at
the look-ahead point), never modifies the array it is given and returns a new
float64 array of the same shape. State starts at zero on the first step and has
the shape of theta; ``t`` counts the steps taken (1 on the first step). ``lr`` is a
number > 0 or a schedule from :mod:`lessons_lib.schedules` (a callable of t);
``lr_t`` is the rate the last step used. A step whose ``grad_fn`` fails (raises,
or returns the wrong shape) is not counted: ``t``, ``lr_t`` and the state stay as
they were.

The rules are written as in the lectures (the overview by Ruder, 2016, "An
overview of gradient descent optimization algorithms", arXiv:1609.04747): ``v`` is
a velocity that already contains the learning rate, and epsilon sits *under* the
square root for Adagrad and RMSProp. Each docstring shows the rule as pseudocode
and says where torch.optim and Keras write it differently. The tests check every
rule but Nadam against torch.optim to 1e-10; torch's NAdam schedules its momentum
coefficient, so Nadam is checked against an independent implementation of the
rule instead.

How a step is organised: ``step`` computes the gradient (at the point the rule
names) and hands it to ``_apply``, which counts the step and calls ``_rule``, the
update written line by line like the pseudocode. ``_rule`` updates the state
arrays in place (``v *= gamma; v += lr * g``: the same rule, without a new array
every step) and writes the new theta into ``out``, a fresh array that is the
step's result; until its last line it uses ``out`` as scratch space. Every
operation in a rule is elementwise, so a rule may run on whole arrays or on
slices of them: for a million parameters ``_apply`` cuts the arrays into one
contiguous slice per CPU core and runs ``_rule`` on the slices in parallel (numpy
releases the GIL inside its loops), which gives bit-for-bit the same numbers. Below
``_PARALLEL_MIN_SIZE`` elements everything runs in the calling thread and no thread
is ever started. An optimizer is one trajectory: step it from one thread at a time
(different optimizers may step in different threads at once).
"""
import concurrent.futures
import contextvars
import math
import os
import threading

import numpy as np

from . import _checks

__all__ = ["Optimizer", "GD", "Momentum", "Nesterov", "Adagrad", "RMSProp",
           "Adadelta", "Adam", "Adamax", "Nadam", "AMSGrad", "ALL_OPTIMIZERS"]

# Arrays with fewer elements than this are updated in the calling thread, in one call,
# and no thread is started. Handing half of a step to another thread costs about 150 us
# on the 2-core VM where this was measured (waking the pool's thread, then the caller
# when that slice is done), so only steps that take several times as long gain: from
# 400,000 elements the adaptive rules run 1.3-1.7x faster, Momentum and Nesterov about
# break even and GD (two passes over memory) takes up to 1.3x as long. Measured with
# ``python benchmarks/bench_optimizers.py --threads-table`` (see benchmarks/README.md).
_PARALLEL_MIN_SIZE = 400_000


class Optimizer:
    """Base class: hyperparameter checks, state on the first step, ``repr``.

    A subclass names its hyperparameters (in the order ``repr`` shows them) and
    its state arrays, writes ``step`` (the gradient, then ``self._apply(theta, g,
    *state)``) and writes ``_rule(out, theta, g, lr, t, *state)``, the update
    itself. ``_rule`` must be elementwise: it may be called on whole arrays or on
    matching slices of them (see ``_apply``).
    """

    hyperparameters = ("lr",)
    state_names = ()
    scratch = False   # True: the rule needs a second scratch array (``tmp``) besides ``out``

    def __init__(self, lr):
        self.lr = _checks.learning_rate(lr)
        self.reset()

    def reset(self):
        """Forget everything learned from past steps: t = 0, state arrays unset."""
        self.t = 0
        self.lr_t = None
        for name in self.state_names:
            setattr(self, name, None)
        self._tmp = None

    def step(self, theta, grad_fn):  # pragma: no cover - every subclass writes its rule
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({args})"

    # -- helpers used by every step -------------------------------------------------
    def _begin(self, theta):
        """theta as float64 (never written to); zero state before the first step.

        Nothing is counted here: a step counts only once its gradient is known (in
        ``_apply``). State made here for a first step whose gradient then fails is
        made again, at zero, by the next call.
        """
        theta = np.asarray(theta, dtype=np.float64)
        if self.t == 0:
            shape = self._shape = theta.shape
            for name in self.state_names:
                setattr(self, name, np.zeros(shape))
            # scratch is written before it is read: it carries nothing from step to step
            self._tmp = np.empty(shape) if self.scratch else None
        elif theta.shape != self._shape:
            raise ValueError(
                f"theta has shape {theta.shape} but this optimizer's state has shape "
                f"{self._shape}; call reset() before optimizing a different model")
        return theta

    @staticmethod
    def _grad(grad_fn, x):
        g = np.asarray(grad_fn(x), dtype=np.float64)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn returned shape {g.shape} for a point of shape {x.shape}")
        return g

    def _apply(self, theta, g, *arrays):
        """Count the step (the gradient is fine), then run ``_rule``; return the new theta.

        ``arrays`` are the state arrays (and the scratch array), in ``_rule``'s order.
        Small arrays go to ``_rule`` whole; large ones in slices, one per core.
        """
        t = self.t + 1
        lr = self.lr
        if callable(lr):
            lr = self._lr_at(t)
        self.t, self.lr_t = t, lr
        out = np.empty(theta.shape)
        if out.size < _PARALLEL_MIN_SIZE:
            self._rule(out, theta, g, lr, t, *arrays)
        else:
            _run_in_slices(self._rule, out, theta, g, lr, t, arrays)
        return out

    def _lr_at(self, t):
        lr = self.lr(t)
        if not (lr >= 0 and np.isfinite(lr)):
            raise ValueError(f"lr schedule {self.lr!r} returned {lr!r} at step t={t}; "
                             "a learning rate must be finite and >= 0")
        return float(lr)


def _set(self, **values):
    """Store checked hyperparameters as attributes (``self.gamma = ...``)."""
    for name, value in values.items():
        setattr(self, name, value)


class GD(Optimizer):
    """Gradient descent: step against the gradient.

        g     <- grad(theta)
        theta <- theta - lr * g

    The gradient is the direction of steepest ascent, so a small enough step
    against it lowers the loss: Cauchy (1847), the method of steepest descent;
    Ruder (2016), section 2. The same class is batch, stochastic or mini-batch
    GD: that depends only on which examples ``grad_fn`` averages over (see
    ``lessons_lib.loops``); the stochastic version goes back to Robbins & Monro
    (1951).

    torch.optim.SGD(lr=lr) is the same rule.
    """

    def __init__(self, lr):
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g)

    def _rule(self, out, theta, g, lr, t):
        # theta <- theta - lr * g
        np.multiply(lr, g, out=out)
        np.subtract(theta, out, out=out)


class Momentum(Optimizer):
    """Momentum (Polyak's heavy ball): a velocity that remembers past gradients.

        g     <- grad(theta)
        v     <- gamma * v + lr * g
        theta <- theta - v

    v is an exponentially weighted sum of past gradients, lr*(g_t + gamma*g_{t-1}
    + gamma^2*g_{t-2} + ...). gamma = 0 gives GD. Reference: Polyak (1964);
    Ruder (2016), section 4.1.

    Other conventions: torch.optim.SGD(momentum=gamma, dampening=0) keeps the
    buffer b = v / lr (b <- gamma*b + g; theta <- theta - lr*b): the same
    path while lr is constant. Goodfellow et al. and Keras write
    v <- alpha*v - lr*g; theta <- theta + v: the same rule with v negated.
    """

    hyperparameters = ("lr", "gamma")
    state_names = ("v",)

    def __init__(self, lr, *, gamma=0.9):
        _set(self, gamma=_checks.unit_interval("gamma", gamma))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.v)

    def _rule(self, out, theta, g, lr, t, v):
        # v <- gamma * v + lr * g
        v *= self.gamma
        v += np.multiply(lr, g, out=out)                # (out: scratch until the last line)
        # theta <- theta - v
        np.subtract(theta, v, out=out)


class Nesterov(Optimizer):
    """Nesterov accelerated gradient (NAG): take the gradient where momentum is about to carry you.

        g     <- grad(theta - gamma * v)      # the look-ahead point
        v     <- gamma * v + lr * g
        theta <- theta - v

    Reference: Nesterov (1983); Sutskever et al. (2013); Ruder (2016), 4.2.

    Other conventions: torch.optim.SGD(momentum=gamma, nesterov=True) and Keras
    store the look-ahead point phi = theta - gamma*v instead of theta, which
    turns the rule into phi <- phi - lr*(g + gamma*b) with b = v/lr, g taken at
    phi. The iterates differ, the method is the same: phi = theta - gamma*v.
    """

    hyperparameters = ("lr", "gamma")
    state_names = ("v",)

    def __init__(self, lr, *, gamma=0.9):
        _set(self, gamma=_checks.unit_interval("gamma", gamma))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        v = self.v
        # g <- grad(theta - gamma * v), the look-ahead point built in one new array (grad_fn
        # may keep it): theta + (-gamma * v) is theta - gamma * v to the last bit
        look_ahead = np.multiply(-self.gamma, v)
        look_ahead += theta
        g = self._grad(grad_fn, look_ahead)
        return self._apply(theta, g, v)

    def _rule(self, out, theta, g, lr, t, v):
        # v <- gamma * v + lr * g
        v *= self.gamma
        v += np.multiply(lr, g, out=out)                # (out: scratch until the last line)
        # theta <- theta - v
        np.subtract(theta, v, out=out)


class Adagrad(Optimizer):
    """Adagrad: each parameter's rate shrinks with the sum of its squared gradients.

        g     <- grad(theta)
        G     <- G + g^2
        theta <- theta - lr * g / sqrt(G + eps)

    Parameters that rarely see a gradient (sparse features) keep a large step;
    G never shrinks, so every rate decays towards zero. Reference: Duchi,
    Hazan & Singer (2011); Ruder (2016), 4.3.

    Other conventions: torch.optim.Adagrad puts eps outside the root,
    lr * g / (sqrt(G) + eps), and lets G start at initial_accumulator_value
    (default 0); torch with eps=0 and initial_accumulator_value=eps is exactly
    this rule. Keras 3 (keras.optimizers.Adagrad) puts eps under the root as
    here, lr * g / sqrt(G + eps), but starts G at initial_accumulator_value=0.1;
    only tf.keras 2 put eps outside, like torch.
    """

    hyperparameters = ("lr", "eps")
    state_names = ("G",)

    def __init__(self, lr, *, eps=1e-8):
        _set(self, eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.G)

    def _rule(self, out, theta, g, lr, t, G):
        # G <- G + g^2
        G += np.multiply(g, g, out=out)                 # (out: scratch until the last line)
        # theta <- theta - lr * g / sqrt(G + eps)
        root = np.sqrt(np.add(G, self.eps, out=out), out=out)
        np.divide(g, root, out=out)
        out *= -lr
        out += theta


class RMSProp(Optimizer):
    """RMSProp: Adagrad with a decaying average instead of a growing sum.

        g     <- grad(theta)
        E     <- beta * E + (1 - beta) * g^2
        theta <- theta - lr * g / sqrt(E + eps)

    E is the running mean of g^2, so sqrt(E) is the RMS of recent gradients
    and the rate stops decaying once the gradients stop changing. Reference:
    Hinton, Coursera lecture 6e (2012); Ruder (2016), 4.5.

    Other conventions: torch.optim.RMSprop calls beta ``alpha`` (default 0.99)
    and puts eps outside the root, lr * g / (sqrt(E) + eps); with eps=0 both
    are this rule with eps=0. Keras calls beta ``rho``.
    """

    hyperparameters = ("lr", "beta", "eps")
    state_names = ("E",)

    def __init__(self, lr, *, beta=0.9, eps=1e-8):
        _set(self, beta=_checks.unit_interval("beta", beta), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.E)

    def _rule(self, out, theta, g, lr, t, E):
        beta = self.beta
        # E <- beta * E + (1 - beta) * g^2
        E *= beta
        sq = np.multiply(1 - beta, g, out=out)          # (out: scratch until the last line)
        sq *= g
        E += sq
        # theta <- theta - lr * g / sqrt(E + eps)
        root = np.sqrt(np.add(E, self.eps, out=out), out=out)
        np.divide(g, root, out=out)
        out *= -lr
        out += theta


class Adadelta(Optimizer):
    """Adadelta: RMSProp with the units fixed, so no learning rate is needed.

        g     <- grad(theta)
        Eg    <- rho * Eg + (1 - rho) * g^2
        d     <- -sqrt(Ed + eps) / sqrt(Eg + eps) * g      # RMS[update] / RMS[g]
        Ed    <- rho * Ed + (1 - rho) * d^2
        theta <- theta + lr * d

    The ratio of two RMS values has the units of theta, so lr = 1 (the paper
    has no lr at all; it is kept as a scale). Note Ed on the d-line is last
    step's value: the update uses RMS[d]_{t-1}. Reference: Zeiler (2012),
    arXiv:1212.5701; Ruder (2016), 4.4.

    torch.optim.Adadelta(lr=1.0, rho, eps) is the same rule; Keras's default
    learning_rate is 0.001 where the paper's is 1.
    """

    hyperparameters = ("lr", "rho", "eps")
    state_names = ("Eg", "Ed")
    scratch = True

    def __init__(self, *, rho=0.9, eps=1e-6, lr=1.0):
        _set(self, rho=_checks.unit_interval("rho", rho), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.Eg, self.Ed, self._tmp)

    def _rule(self, out, theta, g, lr, t, Eg, Ed, tmp):
        rho, eps = self.rho, self.eps
        # Eg <- rho * Eg + (1 - rho) * g^2
        Eg *= rho
        sq = np.multiply(1 - rho, g, out=tmp)           # (tmp: scratch)
        sq *= g
        Eg += sq
        # d <- -sqrt(Ed + eps) / sqrt(Eg + eps) * g, computed as -sqrt((Ed + eps) / (Eg + eps)) * g:
        # one square root instead of two (the two differ by rounding only, at most 2 units in
        # the last place). out holds -d, so that no pass over the array is spent on the sign:
        # d^2 = (-d)^2 below, and the last line subtracts
        minus_d = np.add(Ed, eps, out=out)
        minus_d /= np.add(Eg, eps, out=tmp)
        np.sqrt(minus_d, out=minus_d)
        minus_d *= g
        # Ed <- rho * Ed + (1 - rho) * d^2
        Ed *= rho
        sq = np.multiply(1 - rho, minus_d, out=tmp)
        sq *= minus_d
        Ed += sq
        # theta <- theta + lr * d
        minus_d *= -lr
        minus_d += theta


class Adam(Optimizer):
    """Adam: momentum (m) and RMSProp (v) together, both bias-corrected.

        g     <- grad(theta)
        m     <- beta1 * m + (1 - beta1) * g
        v     <- beta2 * v + (1 - beta2) * g^2
        m_hat =  m / (1 - beta1^t)
        v_hat =  v / (1 - beta2^t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    m and v start at zero, so early on they underestimate the averages;
    dividing by 1 - beta^t removes that bias (after step 1, m_hat = g). The
    first step moves every coordinate by about lr. Defaults from Kingma & Ba
    (2015), arXiv:1412.6980; Ruder (2016), 4.6.

    torch.optim.Adam is the same rule (eps outside the root, as here). Keras's
    ``epsilon`` is Kingma & Ba's "epsilon hat": Keras computes
    theta - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon),
    which is this rule with eps = epsilon / sqrt(1 - beta2^t), an eps that
    shrinks towards Keras's epsilon as t grows.
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "v")

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8):
        _set(self, beta1=_checks.unit_interval("beta1", beta1),
             beta2=_checks.unit_interval("beta2", beta2), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.m, self.v)

    def _rule(self, out, theta, g, lr, t, m, v):
        # two halves, so that AMSGrad can put its one extra line between them
        self._moments(out, g, m, v)                      # m <- ... ;  v <- ...
        self._bias_corrected_step(out, theta, lr, t, m, v)   # theta <- theta - lr * m_hat / ...

    def _moments(self, out, g, m, v):
        beta1, beta2 = self.beta1, self.beta2
        # m <- beta1 * m + (1 - beta1) * g
        m *= beta1
        m += np.multiply(1 - beta1, g, out=out)         # (out: scratch until the last line)
        # v <- beta2 * v + (1 - beta2) * g^2
        v *= beta2
        sq = np.multiply(1 - beta2, g, out=out)
        sq *= g
        v += sq

    def _bias_corrected_step(self, out, theta, lr, t, m, v):
        # m_hat = m / (1 - beta1^t) ;  v_hat = v / (1 - beta2^t)
        # theta <- theta - lr * m_hat / (sqrt(v_hat) + eps), with the bias corrections folded
        # into two numbers (Kingma & Ba, end of section 2): the same value up to rounding,
        # two passes over the arrays fewer
        #     theta <- theta - step * m / (sqrt(v) + eps_hat)
        root_bc2 = math.sqrt(1 - self.beta2**t)
        step, eps_hat = lr * root_bc2 / (1 - self.beta1**t), self.eps * root_bc2
        denom = np.sqrt(v, out=out)
        denom += eps_hat
        np.divide(m, denom, out=out)
        out *= -step
        out += theta


class AMSGrad(Adam):
    """AMSGrad: Adam whose denominator never shrinks.

        g     <- grad(theta)
        m     <- beta1 * m + (1 - beta1) * g
        v     <- beta2 * v + (1 - beta2) * g^2
        v_max <- max(v_max, v)
        m_hat =  m / (1 - beta1^t)
        theta <- theta - lr * m_hat / (sqrt(v_max / (1 - beta2^t)) + eps)

    Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond", with
    the bias correction kept as torch.optim.Adam(amsgrad=True) does.
    """

    state_names = ("m", "v", "v_max")

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.m, self.v, self.v_max)

    def _rule(self, out, theta, g, lr, t, m, v, v_max):
        # m <- beta1 * m + (1 - beta1) * g ;  v <- beta2 * v + (1 - beta2) * g^2  (as Adam)
        self._moments(out, g, m, v)
        # v_max <- max(v_max, v)
        np.maximum(v_max, v, out=v_max)
        # theta <- theta - lr * m_hat / (sqrt(v_max / (1 - beta2^t)) + eps): Adam's last
        # line with v_max in the place of v
        self._bias_corrected_step(out, theta, lr, t, m, v_max)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the RMS.

        g     <- grad(theta)
        m     <- beta1 * m + (1 - beta1) * g
        u     <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1^t) * m / u

    u is a decaying maximum of |g|; it needs no bias correction. eps inside the
    max keeps u > 0 where the gradient has always been exactly zero. Kingma &
    Ba (2015), section 7.1; Ruder (2016), 4.7.

    Other conventions: Kingma & Ba's AdaMax has no eps at all,
    u <- max(beta2*u, |g|) and theta <- theta - lr/(1 - beta1^t) * m/u.
    torch.optim.Adamax puts eps inside the max, as here (the same rule). Keras
    keeps the paper's u and adds eps to the denominator instead: m / (u + eps).
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "u")

    def __init__(self, lr=0.002, *, beta1=0.9, beta2=0.999, eps=1e-8):
        _set(self, beta1=_checks.unit_interval("beta1", beta1),
             beta2=_checks.unit_interval("beta2", beta2), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.m, self.u)

    def _rule(self, out, theta, g, lr, t, m, u):
        beta1 = self.beta1
        # m <- beta1 * m + (1 - beta1) * g
        m *= beta1
        m += np.multiply(1 - beta1, g, out=out)         # (out: scratch until the last line)
        # u <- max(beta2 * u, |g| + eps)
        u *= self.beta2
        abs_g = np.abs(g, out=out)
        abs_g += self.eps
        np.maximum(u, abs_g, out=u)
        # theta <- theta - lr / (1 - beta1^t) * m / u
        np.divide(m, u, out=out)
        out *= -lr / (1 - beta1**t)
        out += theta


class Nadam(Optimizer):
    """Nadam: Adam with a Nesterov look-ahead in its momentum term.

        g     <- grad(theta)
        m     <- beta1 * m + (1 - beta1) * g
        v     <- beta2 * v + (1 - beta2) * g^2
        m_hat =  m / (1 - beta1^t)
        v_hat =  v / (1 - beta2^t)
        theta <- theta - lr / (sqrt(v_hat) + eps) * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1^t))

    The bracket is the momentum step applied once more, with this step's
    gradient, as NAG does. Dozat (2016), "Incorporating Nesterov momentum into
    Adam", in the form of Ruder (2016), 4.8.

    Other conventions: torch.optim.NAdam and Keras follow Dozat's schedule of
    momentum coefficients mu_t = beta1 * (1 - 0.5 * 0.96^(0.004 t)), so they
    never match this form exactly (no setting of torch's momentum_decay turns
    the schedule into a constant beta1).
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "v")
    scratch = True

    def __init__(self, lr=0.002, *, beta1=0.9, beta2=0.999, eps=1e-8):
        _set(self, beta1=_checks.unit_interval("beta1", beta1),
             beta2=_checks.unit_interval("beta2", beta2), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta = self._begin(theta)
        g = self._grad(grad_fn, theta)                  # g <- grad(theta)
        return self._apply(theta, g, self.m, self.v, self._tmp)

    def _rule(self, out, theta, g, lr, t, m, v, tmp):
        beta1, beta2 = self.beta1, self.beta2
        # v <- beta2 * v + (1 - beta2) * g^2
        v *= beta2
        sq = np.multiply(1 - beta2, g, out=out)         # (out: scratch until the last line)
        sq *= g
        v += sq
        # m <- beta1 * m + (1 - beta1) * g
        g_term = np.multiply(1 - beta1, g, out=tmp)     # (tmp: kept, the bracket uses it again)
        m *= beta1
        m += g_term
        # m_hat = m / (1 - beta1^t) ;  v_hat = v / (1 - beta2^t)
        # theta <- theta - lr / (sqrt(v_hat) + eps) * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1^t)),
        # with the bias corrections folded into two numbers, as in Adam:
        #     theta <- theta - step * (beta1 * m + (1 - beta1) * g) / (sqrt(v) + eps_hat)
        root_bc2 = math.sqrt(1 - beta2**t)
        step, eps_hat = lr * root_bc2 / (1 - beta1**t), self.eps * root_bc2
        bracket = np.multiply(beta1, m, out=out)
        bracket += g_term
        denom = np.sqrt(v, out=tmp)
        denom += eps_hat
        bracket /= denom
        bracket *= -step
        bracket += theta


ALL_OPTIMIZERS = (GD, Momentum, Nesterov, Adagrad, RMSProp, Adadelta, Adam, Adamax, Nadam, AMSGrad)


# -- large arrays: the rule on one slice per core, in parallel ----------------------------
class _Workers:
    """The thread pool that runs slices of large steps, made on first use.

    One pool for all optimizers, with one thread fewer than the cores this process
    may use: the calling thread takes the first slice itself. A forked child gets a
    pool of its own on first use (the parent's threads do not exist there).
    """

    def __init__(self):
        self._reinit()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reinit)

    def _reinit(self):
        self.lock = threading.Lock()
        self.pool, self.pid, self.cores = None, None, 1

    def get(self):
        """(pool, number of slices); pool None where there is a single core."""
        pid = os.getpid()
        if self.pid != pid:                      # first use, or first use after a fork
            with self.lock:
                if self.pid != pid:
                    cores = _usable_cores()
                    self.pool = (concurrent.futures.ThreadPoolExecutor(
                        max_workers=cores - 1, thread_name_prefix="lessons_lib.optimizers")
                        if cores > 1 else None)
                    self.cores, self.pid = cores, pid
        return self.pool, self.cores


def _usable_cores():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):            # not on every platform
        return max(1, os.cpu_count() or 1)


_workers = _Workers()
_MIN_SLICE = 100_000       # elements; a smaller slice is not worth a thread's hand-off
_ALIGN = 64                # slice boundaries on multiples of 64 elements (512 bytes)


def _run_in_slices(rule, out, theta, g, lr, t, arrays):
    """rule(out, theta, g, lr, t, *arrays) as one call per contiguous slice, in parallel.

    Every rule is elementwise, so the slices' results are bit for bit those of one
    call on the whole arrays. The calling thread runs the first slice; it returns
    only when every slice is done (also when one raised: then it re-raises).
    Floating-point settings (np.errstate) are the caller's in every thread.
    """
    pool, cores = _workers.get()
    n = out.size
    k = min(cores, n // _MIN_SLICE)
    # out, the state and the scratch are this optimizer's own C-ordered arrays; theta and
    # g are only read, so where they are not contiguous reshape's copy is as good
    if pool is None or k < 2 or not all(a.flags.c_contiguous for a in (out, *arrays)):
        rule(out, theta, g, lr, t, *arrays)
        return
    flat = [a.reshape(-1) for a in (out, theta, g, *arrays)]
    size = -(-n // k)
    size += -size % _ALIGN
    bounds = [(lo, min(lo + size, n)) for lo in range(0, n, size)]

    def run_slice(lo, hi):
        out_, theta_, g_, *arrays_ = (a[lo:hi] for a in flat)
        rule(out_, theta_, g_, lr, t, *arrays_)

    futures = []
    for lo, hi in bounds[1:]:
        try:    # np.errstate lives in a context variable: each slice runs in a copy of ours
            futures.append(pool.submit(contextvars.copy_context().run, run_slice, lo, hi))
        except RuntimeError:      # the interpreter is shutting down: no new work for threads
            break
    try:
        for lo, hi in bounds[:1] + bounds[1 + len(futures):]:
            run_slice(lo, hi)
    finally:
        for future in futures:    # wait for every slice, also when ours raised
            future.exception()
    for future in futures:        # a slice's error is the step's error
        future.result()
