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
``lr_t`` is the rate the last step used.

The rules are written as in the lectures (the overview by Ruder, 2016, "An
overview of gradient descent optimization algorithms", arXiv:1609.04747): ``v`` is
a velocity that already contains the learning rate, and epsilon sits *under* the
square root for Adagrad and RMSProp. Each docstring shows the rule as pseudocode
and says where torch.optim and Keras write it differently; the tests check each
against torch.optim to 1e-10.

State arrays are updated in place (``v *= gamma; v += lr * g``): it is the same
rule, written without allocating a new array every step, which keeps a million-
parameter step fast.
"""
import numpy as np

from . import _checks

__all__ = ["Optimizer", "GD", "Momentum", "Nesterov", "Adagrad", "RMSProp",
           "Adadelta", "Adam", "Adamax", "Nadam", "AMSGrad", "ALL_OPTIMIZERS"]


class Optimizer:
    """Base class: hyperparameter checks, state on the first step, ``repr``.

    A subclass names its hyperparameters (in the order ``repr`` shows them) and
    its state arrays, and writes ``step`` as its rule.
    """

    hyperparameters = ("lr",)
    state_names = ()

    def __init__(self, lr):
        self.lr = _checks.learning_rate(lr)
        self.reset()

    def reset(self):
        """Forget everything learned from past steps: t = 0, state arrays unset."""
        self.t = 0
        self.lr_t = None
        for name in self.state_names:
            setattr(self, name, None)

    def step(self, theta, grad_fn):  # pragma: no cover - every subclass writes its rule
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({args})"

    # -- helpers used by every step -------------------------------------------------
    def _begin(self, theta):
        """Start step t: theta as float64 (never written to), state, this step's lr."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.t == 0:
            for name in self.state_names:
                setattr(self, name, np.zeros_like(theta))
        elif theta.shape != self._shape:
            raise ValueError(
                f"theta has shape {theta.shape} but this optimizer's state has shape "
                f"{self._shape}; call reset() before optimizing a different model")
        self._shape = theta.shape
        self.t += 1
        self.lr_t = self._lr_at(self.t)
        return theta, self.lr_t

    def _lr_at(self, t):
        if not callable(self.lr):
            return self.lr
        lr = self.lr(t)
        if not (lr >= 0 and np.isfinite(lr)):
            raise ValueError(f"lr schedule {self.lr!r} returned {lr!r} at step t={t}; "
                             "a learning rate must be finite and >= 0")
        return float(lr)

    @staticmethod
    def _grad(grad_fn, x):
        g = np.asarray(grad_fn(x), dtype=np.float64)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn returned shape {g.shape} for a point of shape {x.shape}")
        return g


def _set(self, **values):
    """Store checked hyperparameters as attributes (``self.gamma = ...``)."""
    for name, value in values.items():
        setattr(self, name, value)


class GD(Optimizer):
    """Gradient descent: step against the gradient.

        g     <- grad(theta)
        theta <- theta - lr * g

    The same class is batch, stochastic or mini-batch GD: that depends only on
    which examples ``grad_fn`` averages over (see ``lessons_lib.loops``).
    torch.optim.SGD(lr=lr) is the same rule.
    """

    def __init__(self, lr):
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        return theta - lr * g


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
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        v = self.v
        v *= self.gamma
        v += lr * g
        return theta - v


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
        theta, lr = self._begin(theta)
        v = self.v
        g = self._grad(grad_fn, theta - self.gamma * v)
        v *= self.gamma
        v += lr * g
        return theta - v


class Adagrad(Optimizer):
    """Adagrad: each parameter's rate shrinks with the sum of its squared gradients.

        g     <- grad(theta)
        G     <- G + g^2
        theta <- theta - lr * g / sqrt(G + eps)

    Parameters that rarely see a gradient (sparse features) keep a large step;
    G never shrinks, so every rate decays towards zero. Reference: Duchi,
    Hazan & Singer (2011); Ruder (2016), 4.3.

    Other conventions: torch.optim.Adagrad puts eps outside the root,
    lr * g / (sqrt(G) + eps) (Keras likewise); torch with eps=0 and
    initial_accumulator_value=eps is exactly this rule.
    """

    hyperparameters = ("lr", "eps")
    state_names = ("G",)

    def __init__(self, lr, *, eps=1e-8):
        _set(self, eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        G = self.G
        G += g * g
        return theta - lr * g / np.sqrt(G + self.eps)


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
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        E = self.E
        E *= self.beta
        E += (1 - self.beta) * g * g
        return theta - lr * g / np.sqrt(E + self.eps)


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

    def __init__(self, *, rho=0.9, eps=1e-6, lr=1.0):
        _set(self, rho=_checks.unit_interval("rho", rho), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        rho, eps, Eg, Ed = self.rho, self.eps, self.Eg, self.Ed
        Eg *= rho
        Eg += (1 - rho) * g * g
        d = -np.sqrt(Ed + eps) / np.sqrt(Eg + eps) * g
        Ed *= rho
        Ed += (1 - rho) * d * d
        return theta + lr * d


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

    torch.optim.Adam is the same rule (eps outside the root, as here); Keras
    puts eps in the "epsilon hat" form, eps * sqrt(1 - beta2^t).
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "v")

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8):
        _set(self, beta1=_checks.unit_interval("beta1", beta1),
             beta2=_checks.unit_interval("beta2", beta2), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        beta1, beta2, t, m, v = self.beta1, self.beta2, self.t, self.m, self.v
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + self.eps)


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
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        beta1, beta2, t, m, v = self.beta1, self.beta2, self.t, self.m, self.v
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        np.maximum(self.v_max, v, out=self.v_max)
        m_hat = m / (1 - beta1**t)
        return theta - lr * m_hat / (np.sqrt(self.v_max / (1 - beta2**t)) + self.eps)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the RMS.

        g     <- grad(theta)
        m     <- beta1 * m + (1 - beta1) * g
        u     <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1^t) * m / u

    u is a decaying maximum of |g|; it needs no bias correction. eps inside the
    max keeps u > 0 where the gradient is exactly zero. Kingma & Ba (2015),
    section 7.1; Ruder (2016), 4.7.

    torch.optim.Adamax is this rule (eps inside the max). Kingma & Ba and Keras
    write u <- max(beta2*u, |g|) and add eps to the denominator instead:
    m / (u + eps).
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "u")

    def __init__(self, lr=0.002, *, beta1=0.9, beta2=0.999, eps=1e-8):
        _set(self, beta1=_checks.unit_interval("beta1", beta1),
             beta2=_checks.unit_interval("beta2", beta2), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        beta1, m, u = self.beta1, self.m, self.u
        m *= beta1
        m += (1 - beta1) * g
        u *= self.beta2
        np.maximum(u, np.abs(g) + self.eps, out=u)
        return theta - lr / (1 - beta1**self.t) * m / u


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

    def __init__(self, lr=0.002, *, beta1=0.9, beta2=0.999, eps=1e-8):
        _set(self, beta1=_checks.unit_interval("beta1", beta1),
             beta2=_checks.unit_interval("beta2", beta2), eps=_checks.positive("eps", eps))
        super().__init__(lr)

    def step(self, theta, grad_fn):
        theta, lr = self._begin(theta)
        g = self._grad(grad_fn, theta)
        beta1, beta2, t, m, v = self.beta1, self.beta2, self.t, self.m, self.v
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return theta - lr / (np.sqrt(v_hat) + self.eps) * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1**t))


ALL_OPTIMIZERS = (GD, Momentum, Nesterov, Adagrad, RMSProp, Adadelta, Adam, Adamax, Nadam, AMSGrad)
