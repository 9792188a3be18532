"""Static scan of the student's cells for code that touches the grading machinery.

The grader scans every cell the student wrote (answer cells and cells they added)
before anything runs. The findings are advice for the instructor, listed in the
report's "flags": they never stop a cell from running and never cost a point (honest
code uses most of these constructs; see docs/grading.md). The scan reads the code
(after IPython turns magics into Python), it does not run it. It flags:

- imports of the grading machinery (lessons_lib.grading, lessons_lib.grade,
  lessons_lib.autograder, lessons_lib.assign) and of modules that reach into the
  interpreter, the kernel, other processes or the file system (builtins, IPython, ipykernel, signal,
  ctypes, gc, inspect, importlib, subprocess, threading, pickle, shutil, ...);
- the names that reach them without an import: ``get_ipython``, ``__builtins__``,
  ``__import__``, ``exec``, ``eval``, ``compile``, ``globals``, ``locals``,
  ``vars``, ``breakpoint``, ``exit``, ``quit`` (and every IPython magic);
- ``sys.modules``, ``sys.path``, ``sys.meta_path``, ``sys.settrace``,
  ``sys.setprofile``, ``sys._getframe``, ``sys.excepthook``, ``sys.exit``,
  ``os._exit``, ``os.kill``, ``os.system``, ``os.remove`` and the other os calls
  that end, start or signal processes or change files; IPython's input and AST
  transformers, events and custom exception handlers; frame, code and
  function internals (``f_back``, ``__globals__``, ``__code__``,
  ``__subclasses__``, ...);
- assigning to, or deleting, an attribute of an imported module or of a name
  imported from one (``np.allclose = ...``, ``check.gd_step = ...``,
  ``GD.step = ...``), also through ``setattr``/``delattr`` and through a plain
  alias (``m = np``); assigning an attribute whose name is a function of numpy,
  the library or the checkers on anything but ``self``;
- ``getattr`` with a computed attribute name (a way around the rules above);
- writing files: ``open(...)``/``.open(...)`` with a mode that is not plain
  reading, pathlib's ``write_text``/``write_bytes``/``unlink``/``rmdir``/..., numpy's
  ``save``/``savetxt``/``savez``/``tofile``;
- defining the special methods that change how a checker compares a result
  (``__eq__``, ``__bool__``, ``__float__``, ``__array_function__``, ...).

This is a tripwire against the known ways in, not a proof; the protection is the
sandbox (``sandbox.py``) and the verdict decided in the grader's process.
"""
import ast
import builtins

FORBIDDEN_MODULES = (
    "lessons_lib.grading", "lessons_lib.grade", "lessons_lib.autograder", "lessons_lib.assign",
    "builtins", "__builtin__",
    "IPython", "ipykernel", "jupyter_client", "jupyter_core", "nbclient", "zmq", "traitlets",
    "signal", "ctypes", "cffi", "gc", "inspect", "importlib", "imp", "pkgutil", "runpy", "code",
    "codeop", "subprocess", "multiprocessing", "concurrent", "threading", "_thread", "asyncio",
    "pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "copyreg",
    "shutil", "tempfile", "resource", "atexit", "faulthandler", "tracemalloc", "trace",
    "pdb", "bdb", "cProfile", "profile", "sysconfig", "site", "pty", "socket", "ssl",
    "http", "urllib", "requests", "sqlite3", "dbm", "mmap", "fcntl", "posix", "nt",
    "_posixsubprocess", "_ctypes", "_signal", "_io", "io", "fileinput", "types", "operator",
    "weakref",
)

_BAD_NAMES = {
    "get_ipython": "uses get_ipython() (the kernel's shell)",
    "__builtins__": "uses __builtins__",
    "__import__": "imports through __import__",
    "exec": "runs code built at run time (exec)",
    "eval": "runs code built at run time (eval)",
    "compile": "compiles code at run time",
    "globals": "reads or changes the global namespace (globals())",
    "locals": "reads or changes a namespace (locals())",
    "vars": "reads or changes a namespace (vars())",
    "breakpoint": "starts a debugger",
    "exit": "stops the kernel (exit)",
    "quit": "stops the kernel (quit)",
    "__loader__": "uses the module loader",
    "__spec__": "uses the module spec",
}

# Attribute names that are a red flag whatever object they are looked up on.
_BAD_ATTRIBUTES = {
    # frames, code, functions, classes
    "__globals__", "__builtins__", "__code__", "__closure__", "__subclasses__", "__mro__",
    "__bases__", "__base__", "__dict__", "__getattribute__", "__setattr__", "__delattr__",
    "__import__", "__loader__", "__spec__", "__self__", "__func__", "__wrapped__", "__defaults__",
    "__kwdefaults__", "__reduce__", "__reduce_ex__", "__traceback__", "__path__",
    "__init_subclass__", "__set_name__",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next",
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "co_consts", "co_code",
    "co_names", "func_globals",
    # sys / os / threading hooks and process control
    "settrace", "setprofile", "_getframe", "_current_frames", "excepthook", "displayhook",
    "addaudithook", "meta_path", "path_hooks", "path_importer_cache", "_exit", "killpg",
    "forkpty", "setsid", "setpgid", "setrlimit", "prlimit", "execv", "execve", "execvp",
    "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
    "spawnl", "spawnle", "spawnlp", "spawnlpe", "posix_spawn", "posix_spawnp", "pidfd_open",
    # IPython / ipykernel internals
    "set_custom_exc", "custom_exceptions", "showtraceback", "_showtraceback", "ast_transformers",
    "input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
    "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "user_ns", "user_global_ns",
    "register_magic_function", "register_magics", "set_next_input", "kernel", "shell",
    "events", "do_execute", "send_response", "execution_count",
    # writing or deleting files
    "write_text", "write_bytes", "unlink", "rmdir", "rmtree", "symlink_to", "hardlink_to",
    "link_to", "touch", "savetxt", "savez", "savez_compressed", "tofile", "memmap",
    "CodeType", "FunctionType", "LambdaType", "ModuleType", "attrgetter", "methodcaller",
}

# Names that are only a red flag on a particular module (``list.remove`` is fine, ``os.remove`` is not).
_BAD_MODULE_ATTRIBUTES = {
    "sys": {"modules", "path", "exit", "stdout", "stderr", "stdin", "setrecursionlimit",
            "setswitchinterval", "audit", "orig_argv", "settrace", "setprofile", "set_asyncgen_hooks",
            "unraisablehook", "breakpointhook", "__stdout__", "__stderr__"},
    "os": {"kill", "abort", "fork", "system", "popen", "remove", "unlink", "rmdir", "removedirs",
           "rename", "renames", "replace", "truncate", "ftruncate", "write", "open", "chmod",
           "chown", "lchown", "link", "symlink", "mkdir", "makedirs", "mkfifo", "mknod", "utime",
           "chdir", "chroot", "putenv", "unsetenv", "environ", "nice", "setuid", "setgid",
           "sched_setaffinity", "getppid", "wait", "waitpid", "startfile", "dup2", "close",
           "closerange", "fdopen", "sync", "scandir", "walk", "listdir"},
    "numpy": {"save", "load", "loadtxt", "fromfile", "genfromtxt", "DataSource"},
    "pathlib": set(),
}

_DUNDER_DEFINITIONS = {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__",
    "__int__", "__index__", "__complex__", "__abs__", "__array__",
    "__array_function__", "__array_ufunc__", "__array_wrap__", "__array_finalize__",
    "__array_priority__", "__array_interface__", "__array_struct__", "__array_prepare__",
    "__instancecheck__", "__subclasscheck__", "__getattr__", "__getattribute__", "__del__",
    "__init_subclass__", "__set_name__", "__class_getitem__", "__reduce__", "__reduce_ex__",
    "__setattr__", "__delattr__",
}

_READ_MODES = set("rbt")


_TRANSFORMER = []


def _ipython_transformer():
    """IPython's own cell transformer (magics and ``!`` become get_ipython() calls), made once."""
    if not _TRANSFORMER:
        from IPython.core.inputtransformer2 import TransformerManager
        _TRANSFORMER.append(TransformerManager())
    return _TRANSFORMER[0]


def _dotted(node):
    """'a.b.c' for a Name/Attribute chain, else None; and the root Name node."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts)), node.id
    return None, None


def _forbidden_module(name):
    for bad in FORBIDDEN_MODULES:
        if name == bad or name.startswith(bad + "."):
            return bad
    if name in ("lessons_lib.grading", "lessons_lib.grade"):
        return name
    return None


class Scanner:
    """Scans cells in execution order, remembering which names are modules (imports and aliases).

    ``known`` maps names bound by trusted cells (the setup cell) to what they were
    imported from, e.g. {"np": "numpy", "check": "lessons_lib.grading.lesson01"}.
    ``protected_attributes`` are attribute names (numpy's, the library's and the
    checkers' functions) that may not be assigned on anything but ``self``/``cls``.
    """

    def __init__(self, known=None, protected_attributes=()):
        self.imported = dict(known or {})
        self.trusted = set(self.imported)  # bound by the setup cell: reading through them is fine
        self.protected = set(protected_attributes)

    # -- public -------------------------------------------------------------------------------
    def scan(self, source):
        """The problems found in one cell's source, as sentences with line numbers."""
        tree = self._parse(source)
        if tree is None:
            return []  # it will fail with a SyntaxError when it runs; nothing to flag
        self._problems = []
        self._tree_aliases(tree)
        self._visit(tree)
        return list(dict.fromkeys(self._problems))

    @staticmethod
    def imports_of(source):
        """{name: module it was imported from} for the top-level imports of a trusted cell."""
        tree = Scanner._parse(source)
        bound = {}
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Import):
                for a in node.names:
                    bound[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
        return bound

    # -- parsing ----------------------------------------------------------------------------
    @staticmethod
    def _parse(source):
        text = source
        try:
            text = _ipython_transformer().transform_cell(source)
        except Exception:  # noqa: BLE001 - IPython missing or the cell is not transformable
            pass
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError):
            return None

    def _flag(self, node, message):
        line = getattr(node, "lineno", None)
        self._problems.append(f"line {line}: {message}" if line else message)

    # -- aliases ----------------------------------------------------------------------------
    def _tree_aliases(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imported[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.imported[a.asname or a.name] = f"{node.module}.{a.name}"
        changed = True
        while changed:  # m = np; k = m  ->  both are numpy
            changed = False
            for node in ast.walk(tree):
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
                    value = node.value
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    dotted, root = _dotted(value) if value is not None else (None, None)
                    if root in self.imported:
                        for t in targets:
                            if isinstance(t, ast.Name) and t.id not in self.imported:
                                self.trusted.discard(t.id)
                                self.imported[t.id] = self.imported[root] + dotted[len(root):]
                                changed = True

    def _resolve(self, node):
        """The module path an expression names ('numpy.linalg'), when its root is imported."""
        dotted, root = _dotted(node)
        if root is None or root not in self.imported:
            return None
        return self.imported[root] + dotted[len(root):]

    # -- the walk ----------------------------------------------------------------------------
    def _visit(self, tree):
        method_roots = self._method_self_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    bad = _forbidden_module(a.name)
                    if bad:
                        self._flag(node, f"imports {a.name}")
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    self._flag(node, "uses a relative import")
                for a in node.names:
                    full = f"{module}.{a.name}"
                    if _forbidden_module(module) or _forbidden_module(full):
                        self._flag(node, f"imports {a.name} from {module}")
                    elif a.name in _BAD_ATTRIBUTES or a.name in _BAD_MODULE_ATTRIBUTES.get(module, ()):
                        self._flag(node, f"imports {a.name} from {module}")
            elif isinstance(node, ast.Name):
                if node.id in _BAD_NAMES:
                    self._flag(node, _BAD_NAMES[node.id])
            elif isinstance(node, ast.Attribute):
                self._attribute(node)
            elif isinstance(node, ast.Call):
                self._call(node, method_roots)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name in _DUNDER_DEFINITIONS:
                    self._flag(node, f"defines {node.name}, which changes how a checker compares your result")
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                pass
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.For,
                                 ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)):
                for target in self._targets(node):
                    self._assignment_target(target, method_roots)

    @staticmethod
    def _method_self_names(tree):
        """Names that are the first parameter of a method (self, cls) anywhere in the cell."""
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.args.args:
                        names.add(item.args.args[0].arg)
        return names

    @staticmethod
    def _targets(node):
        if isinstance(node, ast.Assign):
            return node.targets
        if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
            return [node.target]
        if isinstance(node, ast.Delete):
            return node.targets
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return [item.optional_vars for item in node.items if item.optional_vars is not None]
        return []

    def _assignment_target(self, target, method_roots):
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._assignment_target(elt, method_roots)
            return
        if isinstance(target, ast.Starred):
            self._assignment_target(target.value, method_roots)
            return
        if isinstance(target, ast.Subscript):
            base = self._resolve(target.value)
            if base is not None:
                self._flag(target, f"changes an item of {base}, which belongs to an imported module")
            return
        if not isinstance(target, ast.Attribute):
            return
        owner = self._resolve(target.value)
        dotted, root = _dotted(target)
        if owner is not None:
            self._flag(target, f"assigns to {dotted or target.attr}, an attribute of the imported {owner}")
        elif target.attr in self.protected and root not in method_roots:
            self._flag(target, f"assigns to .{target.attr}, the name of a function numpy, the course "
                               "library or the checkers provide")

    def _attribute(self, node):
        if node.attr in _BAD_ATTRIBUTES:
            self._flag(node, f"uses .{node.attr}")
            return
        owner = self._resolve(node.value)
        if owner is None:
            return
        top = owner.split(".")[0]
        full = f"{owner}.{node.attr}"
        _, root = _dotted(node)
        if _forbidden_module(full) or _forbidden_module(owner):
            if root not in self.trusted:  # calling check.gd_step(...) from the setup's `check` is fine
                self._flag(node, f"uses {full}")
        elif node.attr in _BAD_MODULE_ATTRIBUTES.get(top, ()) or node.attr in _BAD_MODULE_ATTRIBUTES.get(owner, ()):
            self._flag(node, f"uses {full}")

    def _call(self, node, method_roots):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name in ("setattr", "delattr") and node.args:
            target = node.args[0]
            _, root = _dotted(target)
            if root not in method_roots or self._resolve(target) is not None:
                self._flag(node, f"calls {name} on something other than self")
        elif name == "getattr" and len(node.args) >= 2:
            attr = node.args[1]
            if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
                self._flag(node, "calls getattr with an attribute name computed at run time")
            elif attr.value in _BAD_ATTRIBUTES:
                self._flag(node, f"uses .{attr.value} through getattr")
            else:
                owner = self._resolve(node.args[0])
                if owner is not None and attr.value in _BAD_MODULE_ATTRIBUTES.get(owner.split(".")[0], ()):
                    self._flag(node, f"uses {owner}.{attr.value} through getattr")
        if name == "open" or (isinstance(func, ast.Attribute) and func.attr == "open"):
            mode = node.args[1] if len(node.args) >= 2 else None
            for kw in node.keywords:
                if kw.arg == "mode":
                    mode = kw.value
                if kw.arg is None:
                    mode = kw.value  # **kwargs: cannot tell
            if isinstance(func, ast.Attribute) and node.args and mode is None and len(node.args) == 1:
                mode = node.args[0]  # Path(...).open("w")
            if mode is not None and not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                                         and set(mode.value) <= _READ_MODES):
                self._flag(node, "opens a file for writing")


def protected_attribute_names(modules):
    """The public function and class names of ``modules`` (for Scanner's protected_attributes).

    Names that ndarrays also have as data (``shape``, ``T``, ...) are left out: assigning
    ``a.shape = ...`` on an array is ordinary numpy.
    """
    import numpy as np

    array_attrs = set(dir(np.ndarray))
    names = set()
    for module in modules:
        for name, value in vars(module).items():
            if not name.startswith("_") and callable(value) and name not in array_attrs:
                names.add(name)
    names |= {n for n in dir(builtins) if not n.startswith("_")}
    return names
