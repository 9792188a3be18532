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
square root for Adagrad and RMSProp. Each class's docstring shows its rule as
pseudocode and says where torch.optim and Keras write it differently; its
``update`` method is that pseudocode, line by line, with the same names. The tests
check every rule but Nadam against torch.optim to 1e-10; torch's NAdam schedules
its momentum coefficient, so Nadam is checked against an independent
implementation of the rule instead.

An optimizer is one trajectory: step it from one thread at a time (different
optimizers may step in different threads at once).
"""
import numpy as np

from . import _checks

__all__ = ["Optimizer", "GD", "Momentum", "Nesterov", "Adagrad", "RMSProp",
           "Adadelta", "Adam", "Adamax", "Nadam", "AMSGrad", "AdamW", "ALL_OPTIMIZERS"]


class Optimizer:
    """Base class: what every optimizer shares.

    ``step`` makes theta a float64 array, sets the state to zero on the first step,
    takes the gradient at ``gradient_point(theta)`` (theta itself, except for
    Nesterov), counts the step once the gradient is known, and returns
    ``update(theta, g, lr, t)``: the rule, written by each subclass. A subclass
    also names its hyperparameters (in the order ``repr`` shows them, checked in
    its ``__init__``) and its state arrays.
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

    def step(self, theta, grad_fn):
        """One update: the new theta, a fresh float64 array (theta is only read)."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.t == 0:
            # state made here for a first step whose gradient then fails is made again
            # by the next call, which is still a first step
            self._shape = theta.shape
            for name in self.state_names:
                setattr(self, name, np.zeros(theta.shape))
        elif theta.shape != self._shape:
            raise ValueError(
                f"theta has shape {theta.shape} but this optimizer's state has shape "
                f"{self._shape}; call reset() before optimizing a different model")
        x = self.gradient_point(theta)
        g = np.asarray(grad_fn(x), dtype=np.float64)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn returned shape {g.shape} for a point of shape {x.shape}")
        # the gradient is fine: only now does the step count
        t = self.t + 1
        lr = self._lr_at(t)
        self.t, self.lr_t = t, lr
        return self.update(theta, g, lr, t)

    def gradient_point(self, theta):
        """Where the rule takes its gradient: at theta."""
        return theta

    def update(self, theta, g, lr, t):  # pragma: no cover - every subclass writes its rule
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({args})"

    def _lr_at(self, t):
        if not callable(self.lr):
            return self.lr
        lr = self.lr(t)
        if not (lr >= 0 and np.isfinite(lr)):
            raise ValueError(f"lr schedule {self.lr!r} returned {lr!r} at step t={t}; "
                             "a learning rate must be finite and >= 0")
        return float(lr)


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

    def update(self, theta, g, lr, t):
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
        self.gamma = _checks.unit_interval("gamma", gamma)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        self.v = self.gamma * self.v + lr * g
        return theta - self.v


class Nesterov(Momentum):
    """Nesterov accelerated gradient (NAG): take the gradient where momentum is about to carry you.

        g     <- grad(theta - gamma * v)      # the look-ahead point
        v     <- gamma * v + lr * g
        theta <- theta - v

    Momentum's rule (its ``update``), with the gradient taken at the look-ahead
    point. Reference: Nesterov (1983); Sutskever et al. (2013); Ruder (2016), 4.2.

    Other conventions: torch.optim.SGD(momentum=gamma, nesterov=True) and Keras
    store the look-ahead point phi = theta - gamma*v instead of theta, which
    turns the rule into phi <- phi - lr*(g + gamma*b) with b = v/lr, g taken at
    phi. The iterates differ, the method is the same: phi = theta - gamma*v.
    """

    def gradient_point(self, theta):
        return theta - self.gamma * self.v


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
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        self.G = self.G + g**2
        return theta - lr * g / np.sqrt(self.G + self.eps)


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
    are this rule with eps=0. Keras 3 (keras.optimizers.RMSprop) calls beta
    ``rho`` and puts eps under the root, lr * g / sqrt(E + eps), as here; only
    tf.keras 2 put it outside, like torch.
    """

    hyperparameters = ("lr", "beta", "eps")
    state_names = ("E",)

    def __init__(self, lr, *, beta=0.9, eps=1e-8):
        self.beta = _checks.unit_interval("beta", beta)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        self.E = self.beta * self.E + (1 - self.beta) * g**2
        return theta - lr * g / np.sqrt(self.E + self.eps)


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
        self.rho = _checks.unit_interval("rho", rho)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        rho, eps = self.rho, self.eps
        self.Eg = rho * self.Eg + (1 - rho) * g**2
        d = -np.sqrt(self.Ed + eps) / np.sqrt(self.Eg + eps) * g
        self.Ed = rho * self.Ed + (1 - rho) * d**2
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

    torch.optim.Adam is the same rule (eps outside the root, as here). Keras's
    ``epsilon`` is Kingma & Ba's "epsilon hat": Keras computes
    theta - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon),
    which is this rule with eps = epsilon / sqrt(1 - beta2^t), an eps that
    shrinks towards Keras's epsilon as t grows.
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "v")

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        beta1, beta2 = self.beta1, self.beta2
        self.m = beta1 * self.m + (1 - beta1) * g
        self.v = beta2 * self.v + (1 - beta2) * g**2
        m_hat = self.m / (1 - beta1**t)
        v_hat = self.second_moment() / (1 - beta2**t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def second_moment(self):
        """The v that the step divides by: Adam's own (AMSGrad's differs)."""
        return self.v


class AMSGrad(Adam):
    """AMSGrad: Adam whose denominator never shrinks.

        g     <- grad(theta)
        m     <- beta1 * m + (1 - beta1) * g
        v     <- beta2 * v + (1 - beta2) * g^2
        m_hat =  m / (1 - beta1^t)
        v_max <- max(v_max, v)                 # the one line Adam does not have
        v_hat =  v_max / (1 - beta2^t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    Adam's ``update``, with v_max in the place of v in the step. Reddi, Kale &
    Kumar (2018), "On the convergence of Adam and beyond", with the bias
    correction kept as torch.optim.Adam(amsgrad=True) does.
    """

    state_names = ("m", "v", "v_max")

    def second_moment(self):
        self.v_max = np.maximum(self.v_max, self.v)
        return self.v_max


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay.

        g     <- grad(theta)
        theta <- theta - lr * weight_decay * theta     # decay, apart from the gradient
        m     <- beta1 * m + (1 - beta1) * g
        v     <- beta2 * v + (1 - beta2) * g^2
        m_hat =  m / (1 - beta1^t)
        v_hat =  v / (1 - beta2^t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    The decay line, then Adam's ``update``. Weight decay as L2 regularization
    (adding weight_decay * theta to the gradient, as torch.optim.Adam's
    weight_decay does) sends the decay through m and v: it is divided by
    sqrt(v_hat) like the gradient, so parameters with large gradients are
    barely decayed. Decoupled decay shrinks every parameter by the same
    factor 1 - lr * weight_decay, whatever its gradient. Loshchilov & Hutter
    (2019), "Decoupled Weight Decay Regularization", arXiv:1711.05101.

    torch.optim.AdamW is the same rule, with the same defaults (lr = 0.001,
    weight_decay = 0.01). Keras 3's AdamW decays the same way (its default
    weight_decay is 0.004) before Keras's Adam step, whose epsilon differs (see
    Adam). The paper writes theta <- theta - eta_t * (alpha * m_hat / (sqrt(v_hat) +
    eps) + lambda * theta) with a schedule multiplier eta_t: its lambda is
    torch's lr * weight_decay, not weight_decay.
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay")

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        self.weight_decay = _checks.non_negative("weight_decay", weight_decay)
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps)

    def update(self, theta, g, lr, t):
        theta = theta - lr * self.weight_decay * theta
        return super().update(theta, g, lr, t)


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
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        beta1 = self.beta1
        self.m = beta1 * self.m + (1 - beta1) * g
        self.u = np.maximum(self.beta2 * self.u, np.abs(g) + self.eps)
        return theta - lr / (1 - beta1**t) * self.m / self.u


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
    Adam", in the form of Ruder (2016), 4.8, with a constant beta1.

    Other conventions: Dozat's paper, torch.optim.NAdam and Keras replace the
    constant beta1 by a schedule of momentum coefficients mu_t, with a running
    product of them in the bias correction. torch uses Dozat's schedule
    mu_t = beta1 * (1 - 0.5 * 0.96^(0.004 t)) (0.004 is its momentum_decay);
    Keras 3 uses mu_t = beta1 * (1 - 0.5 * 0.96^t). Neither reproduces this
    form's numbers (no setting of momentum_decay makes mu_t a constant beta1),
    so the tests check it against an independent implementation instead.
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    state_names = ("m", "v")

    def __init__(self, lr=0.002, *, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1 = _checks.unit_interval("beta1", beta1)
        self.beta2 = _checks.unit_interval("beta2", beta2)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr)

    def update(self, theta, g, lr, t):
        beta1, beta2 = self.beta1, self.beta2
        self.m = beta1 * self.m + (1 - beta1) * g
        self.v = beta2 * self.v + (1 - beta2) * g**2
        m_hat = self.m / (1 - beta1**t)
        v_hat = self.v / (1 - beta2**t)
        return theta - lr / (np.sqrt(v_hat) + self.eps) * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1**t))


# The optimizers lessons 07-11 teach, in lesson order, and that the widgets offer
# (widgets.OPTIMIZERS is built from this tuple). AdamW is in the library but not
# here: it belongs to the capstone, and adding it would change the widgets' lists.
ALL_OPTIMIZERS = (GD, Momentum, Nesterov, Adagrad, RMSProp, Adadelta, Adam, Adamax, Nadam, AMSGrad)
