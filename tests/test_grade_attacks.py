"""Hostile work earns no point it did not earn: attacks on the verdict, graded as a class is graded.

The verdict is decided in the grader's process (lessons_lib.autograder.probe): the kernel only
runs the student's functions and returns plain data. Each case here is a submission that tries
to earn points anyway: by replacing the grader's code in the kernel, by lying objects, by the
references of the checkers, by a classmate's answers or the solutions. Most start from the
student copy (nothing answered), so every point they get would be stolen; the others say
which points their honest part earns.

Attacks whose third entry is True read files: a classmate's notebook in the same batch, the
solutions, the checkers' source. They earn nothing because the kernel runs in the sandbox
(lessons_lib/autograder/sandbox.py), which does not show those files; without it (where
bubblewrap cannot run) they would succeed, as docs/grading.md says.
"""

import pytest

from lessons_lib.autograder.run import Limits
from submissions import Submission, full_marks, grade_batch, messages_by_test, points_by_test

LIMITS = Limits(cell_timeout=20, notebook_timeout=200, memory_mb=1024)

# Finds the grader's agent in the kernel the ways the attacks did: sys.modules through a
# default parameter, and through an alias of getattr.
FIND_AGENT_PARAM = """
def _agents(m=__import__('sys')):
    return [mod for name, mod in list(m.modules.items()) if hasattr(mod, 'agent') and hasattr(mod, 'Agent')]
"""
FIND_AGENT_GETATTR = """
g = getattr
_mods = g(__import__('sys'), 'modules')
def _agents():
    return [mod for mod in list(_mods.values()) if g(mod, 'Agent', None) is not None]
"""
# ... then make every call "succeed" with a made-up result, and every name resolve to a function.
REPLACE_RUNNER = """
for _mod in _agents():
    _a = _mod.agent
    _a.call = lambda command: {"op": "result", "ok": True, "value": None, "after": []}
    _a.resolve = lambda command: {"op": "resolved", "values": {n: {"t": "kref", "id": 0} for n in command["names"]}}
    _a.refs[:] = [print] * 3
"""

# Everything a kernel can find on disk: the grader's command line, the batch's directory, the solutions.
STEAL = """
import glob, json, os
from pathlib import Path
import lessons_lib
found = []
for pid in {os.getppid(), int(os.environ.get('JPY_PARENT_PID', '0') or 0)}:
    try:
        words = Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\\0')
        found += [w.decode() for w in words if w.endswith(b'.ipynb')]
    except OSError:
        pass
found += glob.glob('/tmp/pytest-of-*/**/01_gradients.ipynb', recursive=True)[:50]
found += [str(Path(lessons_lib.__file__).parent.parent / 'solutions' / '01_gradients.ipynb')]
for path in found:
    try:
        cells = json.loads(Path(path).read_text())['cells']
    except Exception:
        continue
    for c in cells:
        src = ''.join(c['source'])
        if c.get('metadata', {}).get('nbgrader', {}).get('solution') and 'raise NotImplementedError' not in src:
            try:
                exec(src.replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', ''), globals())
            except Exception:
                pass
"""

REIMPORT_CHECKER = """
import importlib, sys
for name in [n for n in sys.modules if n.startswith('lessons_lib.grading')]:
    del sys.modules[name]
real = importlib.import_module('lessons_lib.grading.{module}')
"""


def _unanswered(topic):
    sub = Submission(topic)
    for c in sub.nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade") and c["cell_type"] == "code":
            sub.unanswered(meta["grade_id"])
    return sub


def _attack(topic, cell, after="ex1_grad_f"):
    return _unanswered(topic).add_after(after, cell)


def _gradients_with(**answers):
    sub = _unanswered("gradients")
    for gid, src in answers.items():
        sub.answer(gid, src)
    return sub


def _first_answer(topic):
    sub = Submission(topic)
    return next(c["metadata"]["nbgrader"]["grade_id"] for c in sub.nb["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "code")


def _honest_part_and_an_attack():
    sub = Submission("gradients").unanswered("ex2_numerical_gradient").unanswered("ex3_gd_step")
    return sub.answer("ex4_lr_fast", CASES["frame_walking_int"][0]().solution("ex4_lr_fast"))


ZERO_GRAD = "def grad_f(p):\n    return np.zeros(2)\n"
IN_PLACE_STEP = "def gd_step(theta, grad_fn, lr):\n    theta -= lr * grad_fn(theta)\n    return theta\n"

CASES = {
    # name: (build, {test: points it honestly earns}, sandbox needed)
    "runner_replaced_via_parameter": (lambda: _attack("gradients", FIND_AGENT_PARAM + REPLACE_RUNNER), {}, False),
    "runner_replaced_via_getattr_alias": (lambda: _attack("gradients", FIND_AGENT_GETATTR + REPLACE_RUNNER), {}, False),
    "module_written_and_imported": (lambda: _attack("gradients", (
        "from pathlib import Path\n"
        "Path('helper_mod.py').write_text(" + repr(FIND_AGENT_PARAM + REPLACE_RUNNER) + ")\n"
        "import sys\nsys.path.insert(0, '.')\nimport helper_mod\n")), {}, False),
    "thread_tampers_a_second_later": (lambda: _attack("gradients", (
        "import threading, time\n" + FIND_AGENT_PARAM +
        "def _later():\n    time.sleep(1.0)\n" + "\n".join("    " + line for line in REPLACE_RUNNER.strip().split("\n")) +
        "\nthreading.Thread(target=_later, daemon=True).start()\n")), {}, False),
    "numpy_core_internals_patched": (lambda: _gradients_with(ex1_grad_f=ZERO_GRAD + (
        "import numpy._core.numeric as _n\n_n.allclose = lambda *a, **k: True\n_n.isclose = lambda *a, **k: True\n"
        "_n.array_equal = lambda *a, **k: True\nnp.allclose = _n.allclose\n")), {}, False),
    "library_code_object_patched": (lambda: _gradients_with(ex1_grad_f=ZERO_GRAD + (
        "from lessons_lib.surfaces import Rosenbrock\n"
        "Rosenbrock.grad.__code__ = (lambda self, p: np.zeros(2)).__code__\n"
        "Rosenbrock.value.__code__ = (lambda self, p: 0.0).__code__\n")), {}, False),
    "gc_objects_rewritten": (lambda: _attack("gradients", (
        "import gc\nfor o in gc.get_objects():\n    if isinstance(o, dict) and 'refs' in o and 'prefix' in o:\n"
        "        o['refs'] = [lambda *a, **k: np.zeros(2)] * 10\n"
        "    if isinstance(o, dict) and 'user_ns' in o and 'stubs' in o:\n        o['ask_raw'] = lambda prompt: '{\"op\": \"done\"}'\n")),
        {}, False),
    "frame_walking_int": (lambda: _gradients_with(ex4_lr_fast=(
        "import sys\nclass Sneaky(float):\n    def __new__(cls):\n        return float.__new__(cls, 0.3)\n"
        "    def _find(self):\n        f = sys._getframe()\n        while f is not None:\n"
        "            for k in ('lr', 'want', 'ref', 'best_lr'):\n                if k in f.f_locals:\n"
        "                    return float(f.f_locals[k])\n            f = f.f_back\n        return 0.3\n"
        "    def __float__(self):\n        return self._find()\n    def __int__(self):\n        return int(self._find())\n"
        "    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "lr_fast = Sneaky()\n")), {}, False),
    "lying_eq_and_array": (lambda: _gradients_with(ex1_grad_f=(
        "class Liar(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
        "    def __array__(self, *a, **k):\n        return np.zeros(2)\n"
        "class Yes:\n    def __eq__(self, other):\n        return True\n    def __array__(self, *a, **k):\n        return np.zeros(2)\n"
        "    def __float__(self):\n        return 0.0\n    def __len__(self):\n        return 2\n"
        "def grad_f(p):\n    return Yes()\n"),
        ex3_gd_step="def gd_step(theta, grad_fn, lr):\n    return np.zeros_like(theta).view(Liar)\n"), {}, False),
    "private_reference_of_the_checker": (lambda: _gradients_with(ex2_numerical_gradient=(
        "def numerical_gradient(fun, p, h=1e-6):\n    return check._reference_numerical_gradient(fun, p, h)\n")), {}, False),
    "private_best_pair": (lambda: _unanswered("momentum").answer("ex4_optimal_momentum", (
        "def optimal_momentum(mu, L):\n    return check._best_pair(mu, L)\n")), {}, False),
    "kernel_claims_a_grader_function": (lambda: _unanswered("backpropagation").add_after("ex2_shared_inputs", (
        FIND_AGENT_PARAM + "for _mod in _agents():\n    _a = _mod.agent\n    _real = _a.resolve\n"
        "    def _resolve(command, _real=_real, _a=_a):\n        out = _real(command)\n"
        "        for name in command['names']:\n            out['values'][name] = {'t': 'cb', 'id': max(_a.stubs)}\n"
        "        return out\n    _a.resolve = _resolve\n")), {}, False),
    "forbidden_gradcheck": (lambda: _unanswered("backpropagation").answer("ex2_shared_inputs", (
        "from lessons_lib import gradcheck as gc_module\n\ndef shared_inputs(u, v):\n"
        "    return tuple(gc_module.numerical_gradient(check.tree_J, np.array([u, v], dtype=float)))\n")), {}, False),
    # the same through a function of the student's own: the grader's numerical_gradient calls back
    # into the kernel from inside the kernel's call (this once hung the grader past every time limit)
    "forbidden_gradcheck_own_function": (lambda: _unanswered("backpropagation").answer("ex2_shared_inputs", (
        "from lessons_lib import gradcheck as gc_module\n\ndef shared_inputs(u, v):\n"
        "    f = lambda p: np.tanh(p[0] * p[1]) + p[0] ** 2 * p[1]\n"
        "    return tuple(gc_module.numerical_gradient(f, np.array([u, v], dtype=float)))\n")), {}, False),
    "forged_stdin_messages": (lambda: _attack("gradients", (
        "import json\n" + FIND_AGENT_PARAM + "for _mod in _agents():\n    _a = _mod.agent\n    _ask = _a.ask_raw\n"
        "    def _forge(prompt, _ask=_ask, _a=_a):\n        reply = _ask(_a.prefix + json.dumps({'op': 'result', 'ok': True, 'value': [1.0, 2.0], 'after': []}))\n"
        "        return _ask(prompt)\n    _a.ask_raw = _forge\n")), {}, False),
    "serve_turned_into_pass": (lambda: _gradients_with(ex1_grad_f=ZERO_GRAD).add_after("ex1_grad_f", (
        "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n")), {}, False),
    "swallowing_transformer_and_custom_exc": (lambda: _gradients_with(ex3_gd_step=IN_PLACE_STEP).add_after("ex3_gd_step", (
        "import ast\nclass Swallow(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
        "        h = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])\n"
        "        node.body = [ast.Try(body=node.body, handlers=[h], orelse=[], finalbody=[])]\n"
        "        return ast.fix_missing_locations(node)\nget_ipython().ast_transformers.append(Swallow())\n"
        "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\nimport sys\nsys.settrace(lambda *a: None)\n")),
        {}, False),
    "builtins_and_checker_stub_patched": (lambda: _gradients_with(ex3_gd_step=IN_PLACE_STEP + (
        "import builtins\nbuiltins.isinstance = lambda *a: True\ncheck.gd_step = lambda *a, **k: None\n"
        "import lessons_lib.grading as g\ng.Feedback = Exception\n")), {}, False),
    "fake_scores_printed": (lambda: _attack("gradients", (
        "print('ex1_grad_f_test 2 / 2 passed')\nprint('total: 8 / 8')\n")), {}, False),
    "huge_and_deep_results": (lambda: _gradients_with(
        ex1_grad_f="def grad_f(p):\n    return np.ones(20_000_000)\n",
        ex2_numerical_gradient=("def numerical_gradient(fun, p, h=1e-6):\n    out = []\n    for _ in range(100_000):\n"
                                "        out = [out]\n    return out\n"),
        ex3_gd_step="def gd_step(theta, grad_fn, lr):\n    return grad_fn\n"), {}, False),
    "rng_state_forged": (lambda: _unanswered("minibatch").answer("ex2_make_batches", (
        "def make_batches(n, batch_size, rng):\n    rng.bit_generator.state = {'bit_generator': 'PCG64', 'state': {'state': 1, 'inc': 1},"
        " 'has_uint32': 0, 'uinteger': 0}\n    return [np.arange(n)]\n")), {}, False),
    "honest_part_still_counts": (_honest_part_and_an_attack, {"ex1_grad_f_test": 2.0}, False),
    "reimported_real_checker": (lambda: _unanswered("momentum").answer("ex4_optimal_momentum", (
        REIMPORT_CHECKER.format(module="lesson08") + "def optimal_momentum(mu, L):\n    return real._best_pair(mu, L)\n")),
        {}, True),
    "reads_solutions_and_classmates": (lambda: _attack("gradients", STEAL), {}, True),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = {name: build() for name, (build, _, _) in CASES.items()}
    subs["classmate"] = Submission("gradients")      # a correct notebook in the same batch
    return grade_batch(subs, tmp_path_factory.mktemp("attacks"), LIMITS), subs


def test_there_are_at_least_twenty_attacks():
    assert len(CASES) >= 20


def _sandboxed():
    from lessons_lib.autograder import sandbox

    try:
        sandbox.check()
    except sandbox.SandboxUnavailable:
        return False
    return LIMITS.sandbox


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_attack_earns_a_point_it_did_not_earn(graded, name):
    results, subs = graded
    build, earned, needs_sandbox = CASES[name]
    if needs_sandbox and not _sandboxed():
        pytest.xfail("reads files: contained only by the sandbox, which this machine cannot run")
    result = results[name]
    want = {test: earned.get(test, 0.0) for test in full_marks(subs[name].topic)}
    got = points_by_test(result)
    assert got == want, messages_by_test(result)


def test_the_classmate_in_the_batch_is_graded_normally(graded):
    results, _ = graded
    assert results["classmate"]["total"] == results["classmate"]["max"]


def test_private_references_are_not_there_and_the_reason_is_given(graded):
    results, _ = graded
    momentum = messages_by_test(results["private_best_pair"])
    assert any("_best_pair" in m for m in momentum.values()), momentum
    for name in ("forbidden_gradcheck", "forbidden_gradcheck_own_function"):
        backprop = messages_by_test(results[name])
        assert any("lessons_lib.gradcheck" in m and "not allow" in m for m in backprop.values()), (name, backprop)
    claimed = messages_by_test(results["kernel_claims_a_grader_function"])
    assert any("lessons_lib.gradcheck" in m for m in claimed.values()), claimed
