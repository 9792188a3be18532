"""Honest work never loses a point: correct answers written the ways students write them.

Each case takes a solution notebook, replaces answers by other correct code (or adds cells,
or leaves an exercise unanswered, or adds a cell that raises) and says which tests, if any,
must score 0. Every other test must score its full points. All cases are graded in one run
of the grader (two notebooks at a time), with hidden tests and fresh hidden inputs, exactly
as an instructor grades a class.
"""
import pytest

from lessons_lib.autograder.run import Limits
from submissions import Submission, full_marks, grade_batch, messages_by_test, points_by_test

LIMITS = Limits(cell_timeout=60, notebook_timeout=400, memory_mb=2048)

GRAD_F = {
    "print_dot": ('import numpy as np\n\ndef grad_f(p):\n    print(".", end="")\n    x, y = p\n    u = y - x ** 2\n'
                  '    return np.array([-2 * (1 - x) - 20 * x * u, 10 * u])\n'),
    "loops": ("def grad_f(p):\n    out = []\n    x, y = float(p[0]), float(p[1])\n"
              "    for term in ('x', 'y'):\n        if term == 'x':\n            out.append(-2 * (1 - x) - 20 * x * (y - x * x))\n"
              "        else:\n            out.append(10 * (y - x * x))\n    return out\n"),
    "getattr_self": ("class Partials:\n    def _x(self, x, y):\n        return -2 * (1 - x) - 20 * x * (y - x ** 2)\n"
                     "    def _y(self, x, y):\n        return 10 * (y - x ** 2)\n"
                     "    def __call__(self, p):\n        x, y = p\n"
                     "        return np.array([getattr(self, f'_{name}')(x, y) for name in 'xy'])\n\n"
                     "grad_f = Partials()\n"),
    "eq_lt_hash": ("class Term:\n    def __init__(self, name, value):\n        self.name, self.value = name, value\n"
                   "    def __eq__(self, other):\n        return isinstance(other, Term) and self.name == other.name\n"
                   "    def __lt__(self, other):\n        return self.name < other.name\n"
                   "    def __hash__(self):\n        return hash(self.name)\n\n"
                   "def grad_f(p):\n    x, y = p\n    terms = {Term('y', 10 * (y - x ** 2)), Term('x', -2 * (1 - x) - 20 * x * (y - x ** 2))}\n"
                   "    return np.array([t.value for t in sorted(terms)])\n"),
    "repr_dict": ("class Gradient:\n    def __init__(self, p):\n        self.x, self.y = p\n"
                  "    def __repr__(self):\n        return f'Gradient({self.__dict__})'\n"
                  "    def value(self):\n        x, y = self.x, self.y\n"
                  "        return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n\n"
                  "print(Gradient([0.5, 0.5]))\n\ndef grad_f(p):\n    return Gradient(p).value()\n"),
    "ipython_display": ("from IPython.display import display, Markdown\n\ndef grad_f(p):\n    x, y = p\n"
                        "    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n\n"
                        "display(Markdown(f'**grad f(0, 0) = {grad_f(np.zeros(2))}**'))\n"),
    "calls_f": ("def grad_f(p, h=1e-4):\n    x, y = p\n    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n\n"
                "p0 = np.array([0.5, -0.25])\n"
                "print('f(p0) =', f(p0), ' central difference:', (f(p0 + [1e-5, 0]) - f(p0 - [1e-5, 0])) / 2e-5)\n"),
    "plots": ("import matplotlib.pyplot as plt\n\ndef grad_f(p):\n    x, y = p\n"
              "    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n\n"
              "plt.rcParams['figure.figsize'] = (4, 3)\nxs = np.linspace(-2, 2, 50)\n"
              "fig, ax = plt.subplots()\nax.plot(xs, [grad_f([x, 1.0])[0] for x in xs])\nax.set_title('df/dx along y = 1')\nplt.show()\n"),
    "cell_magic": ("%%time\ndef grad_f(p):\n    x, y = p\n    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n"),
    "vars_name": ("vars = ['x', 'y']\n\ndef grad_f(p):\n    values = dict(zip(vars, p))\n    x, y = values['x'], values['y']\n"
                  "    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n"),
    "sys_path": ("import sys\nsys.path.append('..')\n\ndef grad_f(p):\n    x, y = p\n"
                 "    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n"),
    "check_self": ("def grad_f(p):\n    x, y = p\n    return np.array([-2 * (1 - x) - 20 * x * (y - x ** 2), 10 * (y - x ** 2)])\n\n"
                   "check.grad_f(grad_f)   # my own check, as the test cell does\n"),
}

NUMERICAL = {
    "reduce": ("import functools, operator\n\ndef numerical_gradient(fun, p, h=1e-6):\n    p = np.asarray(p, dtype=float)\n"
               "    parts = [np.eye(p.size)[j] * (fun(p + h * np.eye(p.size)[j]) - fun(p - h * np.eye(p.size)[j])) / (2 * h)\n"
               "             for j in range(p.size)]\n    return functools.reduce(operator.add, parts, np.zeros(p.size))\n"),
    "recursion": ("import sys\nsys.setrecursionlimit(5000)\n\ndef numerical_gradient(fun, p, h=1e-6, j=0):\n"
                  "    p = np.asarray(p, dtype=float)\n    if j == p.size:\n        return []\n"
                  "    e = np.zeros(p.size)\n    e[j] = h\n"
                  "    first = (fun(p + e) - fun(p - e)) / (2 * h)\n"
                  "    return np.array([first, *numerical_gradient(fun, p, h, j + 1)])\n"),
    "getattr_np": ("NORMS = {'add': 'add', 'subtract': 'subtract'}\n\ndef numerical_gradient(fun, p, h=1e-6):\n"
                   "    p = np.asarray(p, dtype=float)\n    grad = []\n    for e in np.eye(p.size) * h:\n"
                   "        up, down = getattr(np, NORMS['add'])(p, e), getattr(np, NORMS['subtract'])(p, e)\n"
                   "        grad.append((fun(up) - fun(down)) / (2 * h))\n    return np.array(grad)\n"),
    "in_place_restored": ("def numerical_gradient(fun, p, h=1e-6):\n    grad = np.zeros(len(p))\n    for j in range(len(p)):\n"
                          "        old = p[j]\n        p[j] = old + h\n        up = fun(p)\n        p[j] = old - h\n"
                          "        down = fun(p)\n        p[j] = old\n        grad[j] = (up - down) / (2 * h)\n    return grad\n"),
    "simple_namespace": ("import types\n\ncfg = types.SimpleNamespace(h=1e-6, seed=1)\ncfg.seed = 0\n\n"
                         "def numerical_gradient(fun, p, h=cfg.h):\n    p = np.asarray(p, dtype=float)\n"
                         "    return np.array([(fun(p + h * e) - fun(p - h * e)) / (2 * h) for e in np.eye(p.size)])\n"),
    "eval": ("def numerical_gradient(fun, p, h=eval('1e-6')):\n    p = np.asarray(p, dtype=float)\n"
             "    return np.array([(fun(p + h * e) - fun(p - h * e)) / (2 * h) for e in np.eye(p.size)])\n"),
}

GD_STEP = {
    "stderr": ("import sys\n\ndef gd_step(theta, grad_fn, lr):\n    g = grad_fn(theta)\n"
               "    print('step of size', lr * np.linalg.norm(g), file=sys.stderr)\n    return theta - lr * g\n"),
    "frozen_dataclass": ("from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass Step:\n    lr: float\n"
                         "    def __post_init__(self):\n        object.__setattr__(self, 'lr', float(self.lr))\n"
                         "    def __call__(self, theta, g):\n        return theta - self.lr * g\n\n"
                         "def gd_step(theta, grad_fn, lr):\n    return Step(lr)(theta, grad_fn(theta))\n"),
    "dataclass_attrs": ("from dataclasses import dataclass\n\n@dataclass\nclass Run:\n    gamma: float = 0.0\n    type: str = 'gd'\n\n"
                        "best = Run()\nbest.gamma = 0.9\nz = Run()\nz.type = 'momentum'\n\n"
                        "def gd_step(theta, grad_fn, lr):\n    theta = np.array(theta, dtype=float)\n    return theta - lr * grad_fn(theta)\n"),
    "lambda": "gd_step = lambda theta, grad_fn, lr: theta - lr * grad_fn(theta)\n",
    "os_listdir": ("import os\nprint(sorted(os.listdir('.'))[:3])\n\ndef gd_step(theta, grad_fn, lr):\n"
                   "    new = theta.copy()\n    new -= lr * grad_fn(theta)\n    return new\n"),
    "helper_elsewhere": "def gd_step(theta, grad_fn, lr):\n    return my_step(theta, grad_fn(theta), lr)\n",
}

LR_FAST = {
    "eval": "lr_fast = eval('1/10')\n",
    "numpy_scalar": "lr_fast = np.float64(1) / 10\n",
    "from_constants": "lr_fast = 1 / check.QUADRATIC_CURVATURE   # one step lands on the minimum\n",
}


def _gradients(ex1=None, ex2=None, ex3=None, ex4=None):
    sub = Submission("gradients")
    for gid, table, key in (("ex1_grad_f", GRAD_F, ex1), ("ex2_numerical_gradient", NUMERICAL, ex2),
                            ("ex3_gd_step", GD_STEP, ex3), ("ex4_lr_fast", LR_FAST, ex4)):
        if key is not None:
            sub.answer(gid, table[key])
    return sub


def _with(sub, method, *args):
    getattr(sub, method)(*args)
    return sub


def _momentum_in_place():
    return Submission("momentum").answer("ex1_momentum_step", (
        "def momentum_step(theta, grad_fn, state, lr, gamma):\n    g = grad_fn(theta)\n"
        "    state['v'] *= gamma\n    state['v'] += lr * g      # in place: the caller's array holds the new v\n"
        "    return theta - state['v']\n"))


def _momentum_classes():
    sub = Submission("momentum")
    sub.answer("ex2_momentum_descent", (
        "from dataclasses import dataclass, astuple\n\n@dataclass\nclass Row:\n    w: float\n    b: float\n"
        "    v_w: float = 0.0\n    v_b: float = 0.0\n\n"
        "def momentum_descent(neuron, w, b, lr, gamma, epochs):\n    rows = [Row(w, b)]\n"
        "    for _ in range(epochs):\n        r = rows[-1]\n        dw, db = neuron.grad(np.array([r.w, r.b]))\n"
        "        v_w, v_b = gamma * r.v_w + lr * dw, gamma * r.v_b + lr * db\n"
        "        rows.append(Row(r.w - v_w, r.b - v_b, v_w, v_b))\n    return [astuple(r) for r in rows]\n"))
    sub.answer("ex3_fill_steps", (
        "import math\n\ndef first_within(gamma, share=0.01):\n    # the missing part of v after t steps is gamma**t\n"
        "    t = 1\n    while gamma ** t > share:\n        t += 1\n    return t\n\n"
        "steps_090, steps_099 = first_within(0.9), first_within(0.99)\n"))
    sub.answer("ex4_optimal_momentum", (
        "import math\n\ndef optimal_momentum(mu, L):\n    s = (math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))\n"
        "    return [4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, s * s]\n"))
    return sub


def _minibatch_own_error():
    return Submission("minibatch").answer("ex2_make_batches", (
        "class BatchSizeError(ValueError):\n    '''My own error: still a ValueError.'''\n\n"
        "def make_batches(n, batch_size, rng):\n    if not 1 <= batch_size <= n:\n"
        "        raise BatchSizeError(f'batch_size must be between 1 and n = {n}, got {batch_size}')\n"
        "    order = rng.permutation(n)\n    return list(map(lambda i: order[i:i + batch_size], range(0, n, batch_size)))\n"))


def _backprop_gradcheck_in_ex1():
    sub = Submission("backpropagation")
    sub.answer("ex1_max_affine", (
        "from lessons_lib.gradcheck import gradcheck\n\n"
        "def _square(v):\n    return float(np.sum(v ** 2))\n\n"
        "assert gradcheck(_square, lambda v: 2 * v, np.array([1.0, -2.0])).ok   # I trust the library first\n\n"
        + sub.solution("ex1_max_affine")))
    return sub


def _backprop_gradcheck_inside_the_function():
    # The student's function calls the library's numerical_gradient (the grader's, during a test)
    # on a lambda of its own (the kernel's): a call back into the kernel from inside a callback.
    sub = Submission("backpropagation")
    sub.answer("ex1_max_affine", (
        "from lessons_lib.gradcheck import numerical_gradient\n\n"
        + sub.solution("ex1_max_affine").replace("def max_affine(", "def _max_affine(") + "\n\n"
        "def max_affine(W, b, x):\n    J, dW, db, dx = _max_affine(W, b, x)\n"
        "    numeric = numerical_gradient(lambda v: float(np.max(W @ v + b)), np.asarray(x, dtype=float))\n"
        "    if not np.allclose(numeric, dx, atol=1e-4):\n        print('my dx and the numerical one differ here')\n"
        "    return J, dW, db, dx\n"))
    return sub


def _training_tricks_classes():
    sub = Submission("training_tricks")
    sub.answer("ex1_dropout", (
        "class Dropout:\n    def __init__(self, p):\n        self.p = p\n"
        "    def forward(self, a, rng):\n        self.mask = rng.random(a.shape) < self.p\n        return a * self.mask / self.p, self.mask\n\n"
        "def dropout_forward(a, p, rng):\n    return Dropout(p).forward(a, rng)\n\n"
        "def dropout_backward(dout, mask, p):\n    return np.where(mask, dout / p, 0.0)\n"))
    sub.answer("ex4_best_epoch", (
        "def best_epoch(val_losses, patience):\n    best_at = 1\n    for epoch in range(1, len(val_losses) + 1):\n"
        "        if val_losses[epoch - 1] < val_losses[best_at - 1]:\n            best_at = epoch\n"
        "        elif epoch - best_at >= patience:\n            return best_at, epoch\n    return best_at, len(val_losses)\n"))
    return sub


def _which_optimizer_reduce():
    # the chance of a hit as 1 minus the product of the misses, with functools.reduce; the budget by a while loop
    return Submission("which_optimizer").answer("ex1_p_hit", (
        "import functools\nimport operator\n\ndef p_hit(window_decades, range_decades, budget):\n"
        "    miss = 1 - window_decades / range_decades\n"
        "    return 1 - functools.reduce(operator.mul, [miss] * int(budget), 1.0)\n\n"
        "budget_95 = 1\nwhile p_hit(1.5, 5, budget_95) < 0.95:\n    budget_95 += 1\n"))


def _surfaces_recursion():
    return Submission("error_surfaces").answer("ex3_basins", (
        "def descend(surface, start, lr, steps):\n    p = np.array(start, dtype=float)\n"
        "    return p if steps == 0 else descend(surface, p - lr * surface.grad(p), lr, steps - 1)\n\n"
        "def basin_of(surface, start, lr=0.02, steps=1000, tol=1e-3):\n    end = np.array(start, dtype=float)\n"
        "    for _ in range(steps):\n        end = end - lr * surface.grad(end)\n"
        "    for i, m in enumerate(surface.minima):\n        if np.linalg.norm(m - end) <= tol:\n            return i\n    return -1\n"))


def _adagrad_loop_and_dict_call():
    """A derived distance summed in a plain loop; a diagnosis built with dict(...)."""
    return (Submission("adagrad")
            .answer("ex2_adagrad_distance", "def adagrad_distance(lr, c1, t1, c2, t2, eps):\n    G, total = t1 * c1 ** 2, 0.0\n"
                    "    for _ in range(t2):\n        G += c2 * c2\n        total += lr * abs(c2) / (G + eps) ** 0.5\n"
                    "    return total\n")
            .answer("ex3_diagnosis", "diagnosis = dict(A='G not accumulated', B='eps outside the root',\n"
                    "                 C='eps under the root', D='no square root')\n"))


def _rmsprop_readings_and_numpy_scalars():
    """A picture read a little off (within the task's 20%), a dict in another order, a numpy scalar."""
    return (Submission("rmsprop_adadelta")
            .answer("ex2_which_is_which", "which = {'C': 'Adagrad', 'A': 'RMSProp', 'B': 'Adadelta'}\n"
                    "rmsprop_settles_at = 0.0098\n")
            .answer("ex3_hover", "hover_at = np.float64(0.01) / 2\n"))


CASES = {
    # (build, tests that must score 0)
    "print_dot_end": (lambda: _gradients(ex1="print_dot"), {}),
    "loops_and_list_result": (lambda: _gradients(ex1="loops"), {}),
    "getattr_on_self": (lambda: _gradients(ex1="getattr_self"), {}),
    "own_eq_lt_hash": (lambda: _gradients(ex1="eq_lt_hash"), {}),
    "repr_with_dict": (lambda: _gradients(ex1="repr_dict"), {}),
    "ipython_display_markdown": (lambda: _gradients(ex1="ipython_display"), {}),
    "calls_the_sets_f": (lambda: _gradients(ex1="calls_f"), {}),
    "plot_and_rcparams_in_answer": (lambda: _gradients(ex1="plots"), {}),
    "cell_magic_time": (lambda: _gradients(ex1="cell_magic"), {}),
    "variable_named_vars": (lambda: _gradients(ex1="vars_name"), {}),
    "sys_path_append": (lambda: _gradients(ex1="sys_path"), {}),
    "runs_the_checker_itself": (lambda: _gradients(ex1="check_self"), {}),
    "functools_reduce": (lambda: _gradients(ex2="reduce"), {}),
    "recursion_and_recursionlimit": (lambda: _gradients(ex2="recursion"), {}),
    "getattr_np_table": (lambda: _gradients(ex2="getattr_np"), {}),
    "probes_p_in_place_and_restores": (lambda: _gradients(ex2="in_place_restored"), {}),
    "simple_namespace_cfg_seed": (lambda: _gradients(ex2="simple_namespace"), {}),
    "eval_default": (lambda: _gradients(ex2="eval"), {}),
    "print_to_stderr": (lambda: _gradients(ex3="stderr"), {}),
    "frozen_dataclass_post_init": (lambda: _gradients(ex3="frozen_dataclass"), {}),
    "attributes_on_own_objects": (lambda: _gradients(ex3="dataclass_attrs"), {}),
    "lambda_answer": (lambda: _gradients(ex3="lambda"), {}),
    "os_listdir_and_copy": (lambda: _gradients(ex3="os_listdir"), {}),
    "helper_in_an_added_cell": (lambda: _with(_gradients(ex3="helper_elsewhere"), "add_after", "ex3_task",
                                              "def my_step(theta, g, lr):\n    return theta - lr * g\n"), {}),
    "eval_lr": (lambda: _gradients(ex4="eval"), {}),
    "numpy_scalar_lr": (lambda: _gradients(ex4="numpy_scalar"), {}),
    "constant_from_the_checker": (lambda: _gradients(ex4="from_constants"), {}),
    "matplotlib_inline_cell": (lambda: _with(_gradients(), "add_after", "ex1_grad_f", "%matplotlib inline\n"), {}),
    "timeit_cell": (lambda: _with(_gradients(), "add_after", "ex1_grad_f",
                                  "%timeit -n 3 -r 1 grad_f(np.array([0.5, 0.5]))\n"), {}),
    "extra_cells_between_tasks": (lambda: _with(_with(_gradients(), "add_after", "ex2_numerical_gradient",
                                                      "notes = 'central differences'\nprint(notes)\n"),
                                                "add_after", "ex2_numerical_gradient", "## my notes", ), {}),
    "unanswered_exercise": (lambda: _gradients().unanswered("ex2_numerical_gradient"),
                            {"ex2_numerical_gradient_test": "not answered yet"}),
    "a_cell_that_raises": (lambda: _gradients().answer("ex2_numerical_gradient", "1 / 0\n"),
                           {"ex2_numerical_gradient_test": "NameError"}),
    "an_added_cell_that_raises": (lambda: _with(_gradients(), "add_after", "ex1_grad_f",
                                                "raise ValueError('my own sanity check failed')\n"), {}),
    "student_input_call": (lambda: _with(_gradients(), "add_after", "ex1_grad_f",
                                         "try:\n    name = input('your name? ')\nexcept Exception:\n    name = ''\n"), {}),
    "momentum_state_updated_in_place": (_momentum_in_place, {}),
    "momentum_dataclass_rows_loops_math": (_momentum_classes, {}),
    "own_error_subclass_and_generator": (_minibatch_own_error, {}),
    "gradcheck_used_in_exercise_1": (_backprop_gradcheck_in_ex1, {}),
    "gradcheck_called_inside_the_answer_function": (_backprop_gradcheck_inside_the_function, {}),
    "dropout_class_and_early_stopping_index": (_training_tricks_classes, {}),
    "p_hit_with_reduce": (_which_optimizer_reduce, {}),
    "recursive_descent_on_library_surface": (_surfaces_recursion, {}),
    "adagrad_loop_and_dict_call": (_adagrad_loop_and_dict_call, {}),
    "rmsprop_readings_and_numpy_scalars": (_rmsprop_readings_and_numpy_scalars, {}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = {name: build() for name, (build, _) in CASES.items()}
    return grade_batch(subs, tmp_path_factory.mktemp("honest"), LIMITS), subs


def test_there_are_at_least_forty_honest_submissions():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", sorted(CASES))
def test_honest_work_gets_exactly_the_points_its_answers_deserve(graded, name):
    results, subs = graded
    result = results[name]
    assert result["error"] is None, result["error"]
    zero = CASES[name][1]
    want = {test: (0.0 if test in zero else top) for test, top in full_marks(subs[name].topic).items()}
    got = points_by_test(result)
    messages = messages_by_test(result)
    assert got == want, {t: messages[t] for t in got if got[t] != want[t]}
    for test, why in zero.items():
        assert why in messages[test], messages[test]
    assert result["total"] == sum(want.values())
