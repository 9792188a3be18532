"""The grader's half inside the kernel: it calls the student's functions and sends back plain data.

The grader reads this file's text (and ``wire.py``'s) before any student code runs
and executes both in each new kernel as a private module under a random name.
Nothing here decides a score: the checkers run in the grader's process and judge
the data this agent returns, so a student who changes this module, numpy or the
course library in the kernel can only make their own outputs wrong.

The conversation goes over the kernel's stdin channel (``input_request`` /
``input_reply``, as ``input()`` does), one message each way, always started by the
kernel and answered by the grader:

    kernel -> grader                         grader -> kernel
    {"op": "ready"}                          {"op": "resolve", "names": [...]}
    {"op": "resolved", "values": {...}}      {"op": "call", "fn": id, "args": ..., "kwargs": ...}
    {"op": "result", "ok": ..., ...}         {"op": "done"}              (the test is over)
    {"op": "callback", "id", "args", ...}    {"op": "value", "value"} or {"op": "raise", ...}

``serve`` runs while the grader executes one test cell in its own process; a
callback is a function of the grader's (a checker's grad_fn, or a stub of a
checker module's helper) that the student's code calls: the grader computes its
value and answers.
"""
import builtins
import importlib
import json
import sys
import types

import numpy as np

# Filled in by the grader when it installs this module (the text of wire.py, executed first).
Wire = plain = library_class = class_path = WireError = None

_MUTABLE = (np.ndarray, dict, list, np.random.Generator)


class GraderCallbackError(Exception):
    """A function of the grader's, called by the student's code, raised (the grader has the details)."""


class Agent:
    def __init__(self, prefix, kernel, user_ns):
        self.prefix = prefix
        self.ask_raw = kernel.raw_input
        self.user_ns = user_ns
        self.refs, self.ref_ids = [], {}
        self.stubs = {}

    # -- the conversation ---------------------------------------------------------------
    def ask(self, message):
        reply = self.ask_raw(self.prefix + json.dumps(message))
        answer = json.loads(reply)
        if type(answer) is not dict:
            raise WireError("the grader's answer is not an object")
        return answer

    def converse(self, message):
        """Send ``message``; carry out the grader's commands until it answers a callback or ends."""
        while True:
            command = self.ask(message)
            op = command.get("op")
            if op in ("value", "raise", "done"):
                return command
            try:
                if op == "call":
                    message = self.call(command)
                elif op == "resolve":
                    message = self.resolve(command)
                else:
                    message = {"op": "error", "what": f"unknown command {op!r}"}
            except Exception as exc:  # noqa: BLE001 - reported to the grader, which fails the test
                message = {"op": "error", "what": f"{type(exc).__name__}: {_text(exc)}"}

    def serve(self):
        self.converse({"op": "ready"})

    # -- what the grader asks --------------------------------------------------------------
    def resolve(self, command):
        wire = Wire(other=self.other)
        values = {}
        for name in command.get("names", []):
            if name not in self.user_ns:
                values[name] = {"t": "missing"}
                continue
            values[name] = wire.encode(self.user_ns[name])
        return {"op": "resolved", "values": values}

    def call(self, command):
        fn = self.refs[command["fn"]]
        given = Wire(special=self.special)
        args = given.decode(command.get("args"))
        kwargs = dict(given.decode(command.get("kwargs")))
        n_given = len(given.memo)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the student's error, sent as data
            kinds = [k.__name__ for k in type(exc).__mro__ if k.__module__ == "builtins"]
            return {"op": "result", "ok": False, "type": _text(type(exc).__name__, 100),
                    "builtin": kinds[0] if kinds else "Exception", "msg": _text(exc)}
        back = Wire(other=self.other, memo=given.memo)
        value = back.encode(result)
        after = []
        for i in range(n_given):
            obj = given.memo[i]
            if isinstance(obj, np.random.Generator):
                after.append({"i": i, "v": back.encode(obj.bit_generator.state)})
            elif isinstance(obj, np.ndarray):
                after.append({"i": i, "v": back.encode(np.array(obj, copy=True))})
            elif type(obj) is dict:
                after.append({"i": i, "v": back.encode(dict(obj))})
            elif type(obj) is list:
                after.append({"i": i, "v": back.encode(list(obj))})
        return {"op": "result", "ok": True, "value": value, "after": after}

    def callback(self, cb_id, args, kwargs):
        wire = Wire(other=self.other)
        message = {"op": "callback", "id": cb_id, "args": wire.encode(tuple(args)),
                   "kwargs": wire.encode(tuple(kwargs.items()))}
        answer = self.converse(message)
        if answer.get("op") != "value":
            raise GraderCallbackError(str(answer.get("msg", "the grader's function failed")))
        return Wire(special=self.special).decode(answer.get("value"))

    # -- the two sides of the wire ------------------------------------------------------------
    def other(self, wire, value, depth):
        stub = getattr(value, "__grader_callback__", None) if isinstance(value, types.FunctionType) else None
        if type(stub) is int and self.stubs.get(stub) is value:
            return {"t": "cb", "id": stub}
        if isinstance(value, np.random.Generator):
            i = wire._number(value)
            return {"t": "rng", "i": i, "bg": type(value.bit_generator).__name__,
                    "state": wire.encode(value.bit_generator.state, depth + 1)}
        if library_class(type(value)) and isinstance(getattr(value, "__dict__", None), dict):
            i = wire._number(value)
            return {"t": "obj", "i": i, "cls": class_path(type(value)),
                    "state": wire.encode(dict(vars(value)), depth + 1)}
        if callable(value):
            return {"t": "kref", "id": self.ref(value)}
        ok, data = plain(value, depth)
        return wire.encode(data, depth + 1) if ok else {"t": "opaque", "type": type(value).__name__}

    def ref(self, value):
        known = self.ref_ids.get(id(value))
        if known is not None and self.refs[known] is value:
            return known
        self.refs.append(value)
        self.ref_ids[id(value)] = len(self.refs) - 1
        return len(self.refs) - 1

    def special(self, wire, data, depth):
        tag = data["t"]
        if tag == "cb":
            return self.stub(data["id"], data.get("name", "grader_function"))
        if tag == "kref":
            return self.refs[data["id"]]
        if tag == "meth":
            obj = wire.decode(data["obj"], depth + 1)
            return getattr(obj, str(data["name"]))
        i = wire.placeholder(data)
        if tag == "rng":
            bits = getattr(np.random, str(data["bg"]))
            made = np.random.Generator(bits())
            wire.memo[i] = made
            made.bit_generator.state = wire.decode(data["state"], depth + 1)
            return made
        module, _, qualname = str(data["cls"]).partition(":")
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        if not (isinstance(cls, type) and library_class(cls)):
            raise WireError(f"{data['cls']} is not a class of the course library")
        made = cls.__new__(cls)
        wire.memo[i] = made
        vars(made).update(wire.decode(data["state"], depth + 1))
        return made

    def stub(self, cb_id, name):
        """The kernel's stand-in for a function of the grader's: calling it asks the grader."""
        known = self.stubs.get(cb_id)
        if known is not None:
            return known
        agent = self

        def grader_function(*args, **kwargs):
            return agent.callback(cb_id, args, kwargs)

        grader_function.__name__ = grader_function.__qualname__ = str(name)
        grader_function.__grader_callback__ = cb_id
        self.stubs[cb_id] = grader_function
        return grader_function

    # -- the modules the student may import but not read ---------------------------------------
    def install_modules(self, modules):
        """Replace modules by stubs: {name: {attr: encoded value | {"t": "noop"} | {"t": "exc"}}}."""
        parents = {}
        for name, attrs in modules.items():
            real = None
            if any(type(d) is dict and d.get("t") == "class" for d in attrs.values()):
                real = importlib.import_module(name)     # a library module: its classes are kept
            module = types.ModuleType(name, f"{name} as the grader provides it (the real module stays with "
                                            "the grader)")
            module.__path__ = []
            module.__file__ = None
            for attr, data in attrs.items():
                if type(data) is dict and data.get("t") == "class":
                    setattr(module, attr, getattr(real, attr))
                    continue
                setattr(module, attr, self.stub_value(attr, data))
            module.__all__ = sorted(attrs)
            sys.modules[name] = module
            parents[name] = module
        for name, module in parents.items():
            parent, _, child = name.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, module)

    def stub_value(self, attr, data):
        if type(data) is dict and data.get("t") == "noop":
            def checker(*args, **kwargs):
                return None
            checker.__name__ = checker.__qualname__ = attr
            checker.__doc__ = "Runs in the grader's process during grading; here it does nothing."
            return checker
        if type(data) is dict and data.get("t") == "exc":
            return type(attr, (getattr(builtins, str(data.get("base")), Exception),), {})
        if type(data) is dict and data.get("t") == "cb":
            return self.stub(data["id"], attr)
        return Wire(special=self.special).decode(data)


def _text(value, n=2000):
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a student's __str__ that fails
        text = "(no message)"
    return text if len(text) <= n else text[: n - 3] + "..."
