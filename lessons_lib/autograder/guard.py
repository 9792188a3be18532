"""The grader's half inside the kernel: a snapshot taken before any student code, and the test runner.

The grader reads this file's text before any student code runs and executes it in
each new kernel as a fresh module registered under a random name (not as
``lessons_lib.autograder.guard``), then calls ``install``. Before each restored test
cell the grader calls ``run_test``, which

1. compares the interpreter with the snapshot (numpy, math, builtins, the
   lessons_lib library modules and their classes, sys hooks, IPython's input and
   AST transformers, event callbacks and custom exception handler) and raises
   GradingEnvironmentModified naming what changed;
2. restores the import system (sys.meta_path, sys.path_hooks, lessons_lib.__path__)
   and purges ``lessons_lib.grading*`` from sys.modules, so the checkers are
   imported fresh from disk;
3. runs the setup cell's and the test cell's source in a new namespace that holds
   the student's names (not those that shadow a builtin), the setup cell's fresh
   imports and the real builtins, so a rebound ``check``, ``np`` or ``range`` in
   the student's namespace does not reach the test;
4. writes the grader's per-test random token to the stdout it captured at
   install time. The grader counts the test as passed only if the kernel replied
   "ok" and the token arrived.

This cannot defend against code that takes over the interpreter (patches the
shell, reads the token from the incoming request): that is what the grader's
static scan flags, and a flagged cell never runs.
"""
import builtins
import importlib
import sys
import types

_GRADING_PACKAGE = "lessons_lib.grading"
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit"}
_SHELL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback",
                  "_showtraceback", "transform_cell", "should_run_async", "ex", "ev")

_snapshot = None


class GradingEnvironmentModified(RuntimeError):
    """The interpreter differs from the snapshot taken before the student's code ran."""


def _watched(value):
    return callable(value) or isinstance(value, (types.ModuleType, type))


def _module_table(module):
    return {k: v for k, v in vars(module).items() if _watched(v)}


def install(module_names):
    """Import ``module_names`` and snapshot everything ``verify`` compares."""
    global _snapshot
    cwd = __import__("os").getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
    _load_plotting()
    modules = {name: importlib.import_module(name) for name in module_names}
    classes = {}
    for name, module in modules.items():
        if name == "lessons_lib" or name.startswith("lessons_lib."):
            for attr, value in vars(module).items():
                if isinstance(value, type) and value.__module__ == name:
                    classes[f"{name}.{attr}"] = (value, dict(vars(value)))
    shell = _shell()
    snap = {
        "modules": {name: (module, _module_table(module)) for name, module in modules.items()},
        "classes": classes,
        "builtins": dict(vars(builtins)),
        "sys": {k: getattr(sys, k) for k in ("stdout", "stderr", "excepthook", "displayhook",
                                             "modules", "meta_path", "path_hooks")},
        "meta_path": list(sys.meta_path),
        "path_hooks": list(sys.path_hooks),
        "shell": shell,
        "stdout": sys.stdout,
        "exec": builtins.exec,
        "compile": builtins.compile,
    }
    lib = sys.modules.get("lessons_lib")
    snap["lib_path"] = list(lib.__path__) if lib is not None else None
    if shell is not None:
        snap["shell_state"] = _shell_state(shell)
        snap["transform"] = shell.transform_cell
    _snapshot = snap


def _load_plotting():
    """Draw (and close) one pyplot figure before the snapshot.

    In a kernel, matplotlib's first figure loads the inline backend, which registers
    its own post_execute hook on the shell. Loaded here, that hook is part of the
    snapshot, so a student who simply plots is not mistaken for one who patched
    the shell.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a course requirement
        return
    plt.close(plt.figure())


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the grader always runs ipykernel
        return None
    return get_ipython()


def _shell_state(shell):
    events = getattr(shell, "events", None)
    callbacks = getattr(events, "callbacks", {}) or {}
    return {
        "custom_exceptions": tuple(getattr(shell, "custom_exceptions", ())),
        "ast_transformers": list(getattr(shell, "ast_transformers", [])),
        "input_transformers_cleanup": list(getattr(shell, "input_transformers_cleanup", [])),
        "input_transformers_post": list(getattr(shell, "input_transformers_post", [])),
        "events": {name: list(cbs) for name, cbs in callbacks.items()},
        "methods": {name: getattr(type(shell), name, None) for name in _SHELL_METHODS},
        "overrides": sorted(set(vars(shell)) & set(_SHELL_METHODS)),
    }


def verify():
    """What differs from the snapshot, as a list of short descriptions (empty: nothing)."""
    snap = _snapshot
    if snap is None:
        return ["the grader's snapshot is missing"]
    problems = []
    for name, (module, table) in snap["modules"].items():
        current = vars(module)
        for attr, value in table.items():
            if not _same(current.get(attr, _MISSING), value):
                problems.append(f"{name}.{attr} was replaced or deleted")
    for name, (cls, table) in snap["classes"].items():
        current = vars(cls)
        for attr, value in table.items():
            if not _same(current.get(attr, _MISSING), value):
                problems.append(f"{name}.{attr} was replaced or deleted")
        for attr in set(current) - set(table):
            if _watched(current[attr]):
                problems.append(f"{name}.{attr} was added")
    now = vars(builtins)
    for attr, value in snap["builtins"].items():
        if attr not in _REBOUND_BUILTINS and not _same(now.get(attr, _MISSING), value):
            problems.append(f"builtins.{attr} was replaced or deleted")
    for attr, value in snap["sys"].items():
        if not _same(getattr(sys, attr, _MISSING), value):
            problems.append(f"sys.{attr} was replaced")
    if sys.gettrace() is not None:
        problems.append("a trace function is set (sys.settrace)")
    if sys.getprofile() is not None:
        problems.append("a profile function is set (sys.setprofile)")
    shell = snap["shell"]
    if shell is not None and _shell_state(shell) != snap["shell_state"]:
        problems.append("the IPython shell was changed (transformers, events, exception handlers or methods)")
    return problems


_MISSING = object()
# ipykernel rebinds these for every execution (stdin forwarding): equal, not identical.
_REBOUND_BUILTINS = {"input", "raw_input", "getpass", "_", "__"}


def _same(a, b):
    """Identity, or for bound methods the same function bound to the same object."""
    if a is b:
        return True
    if isinstance(a, types.MethodType) and isinstance(b, types.MethodType):
        return a.__func__ is b.__func__ and a.__self__ is b.__self__
    return False


def _restore_imports():
    snap = _snapshot
    sys.meta_path[:] = snap["meta_path"]
    sys.path_hooks[:] = snap["path_hooks"]
    sys.path_importer_cache.clear()
    lib = sys.modules.get("lessons_lib")
    if lib is not None and snap["lib_path"] is not None:
        lib.__path__[:] = snap["lib_path"]
    for name in list(sys.modules):
        if name == _GRADING_PACKAGE or name.startswith(_GRADING_PACKAGE + "."):
            del sys.modules[name]
    if lib is not None and "grading" in vars(lib):
        delattr(lib, "grading")
    importlib.invalidate_caches()


def _student_names(user_ns):
    shadowed = set(_snapshot["builtins"])
    return {k: v for k, v in user_ns.items()
            if not k.startswith("_") and k not in shadowed and k not in _IPYTHON_NAMES}


def run_test(test_source, setup_source, token, label):
    """Run one restored test cell (see the module docstring); return normally only if it passed."""
    problems = verify()
    if problems:
        raise GradingEnvironmentModified("; ".join(problems[:5]))
    _restore_imports()
    snap = _snapshot
    shell = snap["shell"]
    user_ns = shell.user_ns if shell is not None else vars(sys.modules["__main__"])
    ns = _student_names(user_ns)
    ns["__builtins__"] = builtins
    ns["__name__"] = "__main__"
    transform = snap.get("transform") or (lambda s: s)
    snap["exec"](snap["compile"](transform(setup_source), "<setup cell>", "exec"), ns)
    snap["exec"](snap["compile"](transform(test_source), f"<{label}>", "exec"), ns)
    out = snap["stdout"]
    out.write("\n" + token + "\n")   # on a line of its own: never glued to what the student printed
    out.flush()
