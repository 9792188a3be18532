"""The verdict, decided in the grader's process: test cells run here, the student's functions there.

The kernel runs the student's cells as in JupyterLab. A restored test cell does not
run in the kernel: ``Probe.run_test`` executes its source (trusted: it comes from
the source notebook) in a worker thread of the grader, in a namespace built from

- the source's setup cell, executed here: the real checker module as ``check``,
  numpy, the course library;
- every other name the test cell reads, looked up in the kernel: a function of
  the student's becomes a ``RemoteFunction``, a value arrives as plain data.

Calling a ``RemoteFunction`` sends the arguments to the kernel as data (see
``wire``): arrays and numbers as they are, objects of the course library as their
class and state (rebuilt there from the kernel's own copy of the library), numpy
Generators with their state, and any other callable (a checker's ``grad_fn`` spy)
as a callback the kernel calls back into the grader for. The kernel returns the
result as plain data and the new contents of the arrays, dicts, lists and
Generators it was given, which are written back into the checker's objects: a
checker that tests "you changed theta" or "state['v'] was updated" works as it
does in the notebook. The checker judges only that data; no object of the
student's ever reaches this process.

In the kernel, the checker modules the setup cell imports (``lessons_lib.grading.*``)
are replaced by stubs (``stub_modules``): the checkers do nothing there, public
data of the module is a copy, public functions (like lesson 01's ``f``) are
callbacks into the grader, and private names (the references) do not exist. A
checker module may declare ``FORBIDDEN = {checker: {module: reason}}``: in the
kernel that module becomes a stub of callbacks too, and a test cell that runs such
a checker fails if the student's code called into the module while it ran.

Hidden tests draw fresh random inputs each grading run: the test thread sets
``lessons_lib.grading.RUN_SEED`` (see ``lessons_lib.grading.hidden_seed``).
"""
import ast
import asyncio
import builtins
import importlib
import json
import queue
import secrets
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .wire import Wire, WireError, class_path, library_class

_HERE = Path(__file__).resolve().parent
WIRE_SOURCE = (_HERE / "wire.py").read_text(encoding="utf-8")
AGENT_SOURCE = (_HERE / "agent.py").read_text(encoding="utf-8")
GRADING = "lessons_lib.grading"
MAX_MESSAGE_CHARS = 64 * 1024 * 1024


@dataclass
class Outcome:
    """What running a cell or a test did: status "ok", "error", "timeout" or "died"."""

    status: str
    ename: str = ""
    evalue: str = ""


class KernelGone(BaseException):
    """The kernel stopped answering while a test ran (time limit, exit, crash): not a checker's business."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class ForbiddenUse(Exception):
    pass


# -- running code in the kernel, with the stdin channel answered ---------------------------

async def execute(kernel, code, timeout, on_prompt, store_history=True, limit=None):
    """Run ``code`` in ``kernel``; answer its input requests with ``await on_prompt(text)``.

    ``timeout`` is the kernel's time: the time the grader spends answering is added to
    it, up to ``limit`` seconds in all. Output is read and dropped (the grader never
    reads what a cell prints).
    """
    kc = kernel.client.kc
    km = kernel.client.km
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.5, float(timeout))
    hard = loop.time() + max(float(timeout), float(limit or timeout))
    try:
        if not await km.is_alive():
            return Outcome("died")
        msg_id = kc.execute(code, store_history=store_history, allow_stdin=True, stop_on_error=False)
    except Exception:  # noqa: BLE001 - a channel that cannot send means a dead kernel
        return Outcome("died")
    shell = stdin = iopub = None
    try:
        while True:
            shell = shell or asyncio.ensure_future(kc.get_shell_msg(timeout=None))
            stdin = stdin or asyncio.ensure_future(kc.get_stdin_msg(timeout=None))
            iopub = iopub or asyncio.ensure_future(kc.get_iopub_msg(timeout=None))
            left = deadline - loop.time()
            if left <= 0:
                return Outcome("timeout")
            done, _ = await asyncio.wait({shell, stdin, iopub}, timeout=min(1.0, left),
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:
                if not await km.is_alive():
                    return Outcome("died")
                continue
            if iopub in done:
                _consumed(iopub)
                iopub = None
            if stdin in done:
                msg, stdin = _consumed(stdin), None
                if msg is None:
                    return Outcome("died")
                if msg.get("msg_type") == "input_request":
                    prompt = str(msg.get("content", {}).get("prompt", ""))
                    asked = loop.time()
                    try:
                        answer = await asyncio.wait_for(on_prompt(prompt), timeout=max(0.1, hard - asked))
                    except asyncio.TimeoutError:
                        return Outcome("timeout")
                    kc.input(answer)
                    deadline = min(deadline + loop.time() - asked, hard)
            if shell in done:
                msg, shell = _consumed(shell), None
                if msg is None:
                    return Outcome("died")
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                content = msg.get("content", {})
                if content.get("status") == "ok":
                    return Outcome("ok")
                return Outcome("error", str(content.get("ename", "")), str(content.get("evalue", "")))
    finally:
        for task in (shell, stdin, iopub):
            if task is not None and not task.done():
                task.cancel()


def _consumed(task):
    try:
        return task.result()
    except Exception:  # noqa: BLE001 - a broken channel
        return None


# -- the grader's side of a test ------------------------------------------------------------

class RemoteFunction:
    """A function in the kernel (the student's): calling it runs it there and returns its result as data."""

    def __init__(self, probe, ref, name):
        self._probe, self._ref, self.__name__ = probe, ref, name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self._probe.call(self, args, kwargs)

    def __repr__(self):
        return f"<the student's {self.__name__} (runs in the kernel)>"


_DONE = json.dumps({"op": "done"})


class _Bridge:
    """Hands messages between the test's worker thread and the event loop that talks to the kernel."""

    def __init__(self, loop):
        self.loop = loop
        self.outbox = asyncio.Queue()          # what the thread answers the kernel
        self.inbox = queue.Queue()             # what the kernel said, for the thread
        self.gone = None
        self.finished = False

    def finish(self):                          # event loop: the test's thread has returned
        self.finished = True
        self.outbox.put_nowait(_DONE)          # wakes a prompt that waits for the thread

    async def on_prompt(self, text):           # event loop
        if self.finished:                      # the test is over: whatever the kernel asks, it ends
            return _DONE
        # Everything, callbacks included, goes to the test's thread (_exchange answers callbacks
        # there): a grader function the kernel calls may call one of the student's functions back
        # (numerical_gradient(f, ...)), which needs this loop free to carry that call.
        self.inbox.put(text)
        return await self.outbox.get()

    def close(self, status):                   # event loop: the kernel's execution ended
        self.gone = status
        self.inbox.put(None)

    def receive(self):                         # thread
        text = self.inbox.get()
        if text is None:
            self.inbox.put(None)               # whoever waits next learns it too
            raise KernelGone(self.gone or "died")
        return text

    def send(self, message):                   # thread
        self.loop.call_soon_threadsafe(self.outbox.put_nowait, message)


class _Quiet:
    """sys.stdout / sys.stderr that drop what the grader's test threads write (test cells print)."""

    lock = threading.Lock()
    users = 0
    muted = set()

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if threading.get_ident() in _Quiet.muted:
            return len(text)
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)

    @classmethod
    def enter(cls):
        with cls.lock:
            if cls.users == 0:
                sys.stdout, sys.stderr = cls(sys.stdout), cls(sys.stderr)
            cls.users += 1
            cls.muted.add(threading.get_ident())

    @classmethod
    def leave(cls):
        with cls.lock:
            cls.muted.discard(threading.get_ident())
            cls.users -= 1
            if cls.users == 0:
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, cls):
                        setattr(sys, name, stream.stream)


class Probe:
    """The grader's side of one submission's kernel conversations (one per submission)."""

    def __init__(self, source):
        self.source = source
        self.prefix = "\x00grader-" + secrets.token_hex(8) + ":"
        self.name = "_grader_agent_" + secrets.token_hex(8)
        self.callbacks, self.callback_ids = [], {}
        self.bridge = None
        self.cell_bridge = None
        self.forbidden_calls = []
        self.watch = {}                 # callback id -> module name, for FORBIDDEN modules
        self.watching = {}              # {module: reason}: FORBIDDEN to the checkers running now
        self.last_callback_error = None
        self.run_seed = secrets.randbits(63)
        self.sent = set()               # callbacks handed to the kernel during the current test
        self.stubs = self._stub_modules()
        self.sent.clear()

    # -- kernel set-up -------------------------------------------------------------------------
    def boot_code(self):
        """Code for a fresh kernel, run before any student code: the agent and the stub modules."""
        stubs = json.dumps(self.stubs)
        return (f"def _grader_boot():\n"
                f"    import sys, types\n"
                f"    from IPython import get_ipython\n"
                f"    wire = types.ModuleType({self.name + '_wire'!r})\n"
                f"    exec(compile({WIRE_SOURCE!r}, '<grader wire>', 'exec'), wire.__dict__)\n"
                f"    agent = types.ModuleType({self.name!r})\n"
                f"    exec(compile({AGENT_SOURCE!r}, '<grader agent>', 'exec'), agent.__dict__)\n"
                f"    for k in ('Wire', 'plain', 'library_class', 'class_path', 'WireError'):\n"
                f"        setattr(agent, k, getattr(wire, k))\n"
                f"    shell = get_ipython()\n"
                f"    agent.agent = agent.Agent({self.prefix!r}, shell.kernel, shell.user_ns)\n"
                f"    agent.agent.install_modules(__import__('json').loads({stubs!r}))\n"
                f"    sys.modules[{self.name!r}] = agent\n"
                f"_grader_boot()\n"
                f"del _grader_boot\n")

    def _stub_modules(self):
        """The kernel's stand-ins for the checker modules the setup imports, and for FORBIDDEN modules."""
        setup_modules = sorted({m for m in self.source.known.values() if m == GRADING or m.startswith(GRADING + ".")}
                               | {GRADING})
        called = _checker_calls(self.source)
        stubs = {}
        for name in setup_modules:
            try:
                module = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - reported when the tests run
                continue
            stubs[name] = self._stub_of(module, called)
            for checker, modules in (getattr(module, "FORBIDDEN", None) or {}).items():
                for forbidden in modules:
                    stubs[forbidden] = self._stub_of(importlib.import_module(forbidden), set(), watch=forbidden)
        return stubs

    def _stub_of(self, module, checkers, watch=None):
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n, v in vars(module).items() if not n.startswith("_")
                     and getattr(v, "__module__", module.__name__) == module.__name__
                     and not isinstance(v, types.ModuleType)]
        attrs, encoder = {}, Wire(other=self._other)
        for name in names:
            value = getattr(module, name, None)
            if name in checkers and callable(value):
                attrs[name] = {"t": "noop"}
            elif isinstance(value, type) and issubclass(value, BaseException):
                base = next(k.__name__ for k in value.__mro__ if k.__module__ == "builtins")
                attrs[name] = {"t": "exc", "base": base}
            elif isinstance(value, type) and library_class(value):
                attrs[name] = {"t": "class", "path": class_path(value)}    # the kernel's own copy
            elif isinstance(value, (type, types.ModuleType)):
                continue                                                   # a checker's class stays here
            else:
                encoder.memo.clear()
                encoder._ids.clear()
                attrs[name] = encoder.encode(value)
                if watch and isinstance(attrs[name], dict) and attrs[name].get("t") == "cb":
                    self.watch[attrs[name]["id"]] = (watch, f"{watch}.{name}")
        return attrs

    # -- the wire, grader's side ----------------------------------------------------------------
    def _other(self, wire, value, depth):
        if isinstance(value, RemoteFunction):
            return {"t": "kref", "id": value._ref}
        if isinstance(value, np.random.Generator):
            i = wire._number(value)
            return {"t": "rng", "i": i, "bg": type(value.bit_generator).__name__,
                    "state": wire.encode(value.bit_generator.state, depth + 1)}
        if isinstance(value, types.MethodType) and library_class(type(value.__self__)) \
                and isinstance(getattr(value.__self__, "__dict__", None), dict):
            return {"t": "meth", "obj": wire.encode(value.__self__, depth + 1), "name": value.__func__.__name__}
        if library_class(type(value)) and isinstance(getattr(value, "__dict__", None), dict):
            i = wire._number(value)
            return {"t": "obj", "i": i, "cls": class_path(type(value)),
                    "state": wire.encode(dict(vars(value)), depth + 1)}
        if callable(value):
            known = self.callback_ids.get(id(value))
            if known is None or self.callbacks[known] is not value:
                self.callbacks.append(value)
                known = self.callback_ids[id(value)] = len(self.callbacks) - 1
            self.sent.add(known)
            return {"t": "cb", "id": known, "name": str(getattr(value, "__name__", "grad_fn"))}
        raise TypeError(f"the grader cannot send a {type(value).__name__} to the kernel")

    def _special(self, wire, data, depth):
        tag = data["t"]
        if tag == "kref":
            ref = data.get("id")
            if type(ref) is not int:
                raise WireError("a function reference that is not a number")
            return RemoteFunction(self, ref, "your function")
        if tag == "cb":
            ref = data.get("id")
            if type(ref) is not int or not 0 <= ref < len(self.callbacks):
                raise WireError("a reference to a grader function that does not exist")
            if ref in self.sent:
                return self.callbacks[ref]      # handed back as it was given (the student returned grad_fn)
            return self._recorded(ref)          # a stub's function: used as if the kernel called it
        if tag == "meth":
            raise WireError("the kernel sent a method of the grader's: it sends its own functions only")
        i = wire.placeholder(data)
        if tag == "rng":
            bits = getattr(np.random, str(data.get("bg")), None)
            if not (isinstance(bits, type) and issubclass(bits, np.random.BitGenerator)):
                raise WireError(f"unknown bit generator {data.get('bg')!r}")
            made = np.random.Generator(bits())
            wire.memo[i] = made
            try:
                made.bit_generator.state = wire.decode(data.get("state"), depth + 1)
            except (TypeError, ValueError, KeyError) as exc:
                raise WireError(f"a Generator with an unusable state ({exc})") from None
            return made
        module, _, qualname = str(data.get("cls")).partition(":")
        if not (module == "lessons_lib" or module.startswith("lessons_lib.")):
            raise WireError(f"{data.get('cls')} is not a class of the course library")
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part, None)
        if not (isinstance(cls, type) and library_class(cls)):
            raise WireError(f"{data.get('cls')} is not a class of the course library")
        made = cls.__new__(cls)
        wire.memo[i] = made
        state = wire.decode(data.get("state"), depth + 1)
        if type(state) is not dict or not all(type(k) is str for k in state):
            raise WireError("an object whose state is not a dict of names")
        vars(made).update(state)
        return made

    def _recorded(self, ref):
        """Callback ``ref`` as a function of the grader's side, recorded like a call from the kernel."""
        fn = self.callbacks[ref]

        def grader_function(*args, **kwargs):
            self._note_use(ref)
            return fn(*args, **kwargs)

        return grader_function

    def _note_use(self, ref):
        module, name = self.watch.get(ref, (None, None))
        if module in self.watching:
            self.forbidden_calls.append((name, self.watching[module]))

    def _decode(self, data, memo=None):
        try:
            return Wire(special=self._special, memo=memo).decode(data)
        except RecursionError:
            raise WireError("data nested too deeply") from None

    # -- the conversation (test thread) ----------------------------------------------------------
    def _exchange(self, message):
        """Send ``message``; answer the kernel's callbacks until it sends anything else."""
        while True:
            self.bridge.send(json.dumps(message))
            reply = self._load(self.bridge.receive())
            while reply.get("op") == "input":         # the student's own input(): an empty line
                self.bridge.send("")
                reply = self._load(self.bridge.receive())
            if reply.get("op") != "callback":
                return reply
            message = self._answer_callback(reply)

    def _load(self, text):
        if not text.startswith(self.prefix):
            return {"op": "input", "text": text}      # the student's own input(): answered with ""
        if len(text) > MAX_MESSAGE_CHARS:
            raise WireError(f"the kernel sent more than {MAX_MESSAGE_CHARS // 2**20} MiB at once")
        try:
            message = json.loads(text[len(self.prefix):])
        except ValueError:
            raise WireError("the kernel sent something that is not JSON") from None
        if type(message) is not dict:
            raise WireError("the kernel sent something that is not a message")
        return message

    def _answer_callback(self, request):
        """Run one of the grader's functions for the kernel; the answer message."""
        try:
            ref = request.get("id")
            if type(ref) is not int or not 0 <= ref < len(self.callbacks):
                raise WireError("the kernel called a grader function that does not exist")
            self._note_use(ref)
            memo = []
            args = self._decode(request.get("args"), memo)
            pairs = self._decode(request.get("kwargs"), memo)
            if type(args) is not tuple or type(pairs) is not tuple:
                raise WireError("a callback's arguments are not a tuple")
            kwargs = {}
            for pair in pairs:
                if type(pair) is not tuple or len(pair) != 2 or type(pair[0]) is not str:
                    raise WireError("a callback's keyword arguments are not (name, value) pairs")
                kwargs[pair[0]] = pair[1]
            value = self.callbacks[ref](*args, **kwargs)
            return {"op": "value", "value": Wire(other=self._other).encode(value)}
        except Exception as exc:  # noqa: BLE001 - the student's code sees an exception
            self.last_callback_error = exc
            return {"op": "raise", "msg": f"{type(exc).__name__}: {exc}"[:2000]}

    def call(self, fn, args, kwargs):
        """Run the student's function ``fn`` in the kernel on ``args``; its result as data."""
        out = Wire(other=self._other)
        message = {"op": "call", "fn": fn._ref, "args": out.encode(tuple(args)),
                   "kwargs": out.encode(tuple(kwargs.items()))}
        n_given = len(out.memo)
        given = list(out.memo)
        self.last_callback_error = None
        reply = self._exchange(message)
        op = reply.get("op")
        if op == "error":
            raise WireError(f"the kernel could not run the call: {reply.get('what')}")
        if op != "result":
            raise WireError(f"the kernel answered a call with {op!r}")
        if not reply.get("ok"):
            raise self._student_error(reply)
        memo = list(given)
        value = self._decode(reply.get("value"), memo)
        for entry in reply.get("after") or []:
            i = entry.get("i") if type(entry) is dict else None
            if type(i) is not int or not 0 <= i < n_given:
                raise WireError("the kernel reported a change to something it was not given")
            _write_back(given[i], self._decode(entry.get("v"), memo))
        return value

    def _student_error(self, reply):
        name = str(reply.get("type") or "Exception")
        message = str(reply.get("msg") or "")
        if name == "GraderCallbackError" and self.last_callback_error is not None:
            return self.last_callback_error
        if name == "NotImplementedError":
            return NotImplementedError(message)
        base = getattr(builtins, str(reply.get("builtin")), Exception)
        if not (isinstance(base, type) and issubclass(base, Exception)):
            base = Exception
        if getattr(builtins, name, None) is base:
            return base(message)
        return type(name, (base,), {"__module__": "student"})(message)

    # -- one test --------------------------------------------------------------------------------
    async def run_test(self, kernel, test_source, label, setup_source, timeout, limit=None):
        """Run one restored test cell: the checker here, the student's functions in ``kernel``.

        Returns (Outcome, forbidden uses): "ok" when the test ran to its end, "error" with the
        exception's name and message, "timeout" or "died" when the kernel stopped answering."""
        loop = asyncio.get_running_loop()
        self.bridge = bridge = _Bridge(loop)
        self.forbidden_calls = []
        self.sent = set()
        self.watching = _forbidding(self.source, test_source)
        serve = f"__import__('sys').modules[{self.name!r}].agent.serve()"
        worker = loop.run_in_executor(None, self._test_thread, test_source, label, setup_source)
        worker.add_done_callback(lambda _: bridge.finish())
        run = await execute(kernel, serve, timeout, bridge.on_prompt, store_history=False, limit=limit)
        bridge.close(run.status)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(worker), timeout=max(5.0, timeout))
        except asyncio.TimeoutError:
            outcome = Outcome("timeout")
        self.watching = {}
        if run.status in ("timeout", "died"):
            return Outcome(run.status), []
        if outcome.ename == "GradingError" and run.status == "error":
            outcome = Outcome("error", "GradingError", f"the kernel's side of the test failed ({run.ename}: "
                                                       f"{run.evalue})")
        return outcome, list(self.forbidden_calls)

    def _test_thread(self, test_source, label, setup_source):
        from lessons_lib import grading

        token = grading.RUN_SEED.set(self.run_seed)
        _Quiet.enter()
        try:
            first = self._load(self.bridge.receive())
            if first.get("op") != "ready":
                raise WireError("the kernel did not start the test")
            ns = _setup_namespace(setup_source)
            names = sorted(_free_names(test_source) - set(ns) - set(vars(builtins)))
            if names:
                reply = self._exchange({"op": "resolve", "names": names})
                values = reply.get("values") if reply.get("op") == "resolved" else None
                if type(values) is not dict:
                    raise WireError("the kernel did not say what the test's names are")
                memo = []
                for name in names:
                    data = values.get(name)
                    if type(data) is dict and data.get("t") == "missing":
                        continue
                    value = self._decode(data, memo)
                    if isinstance(value, RemoteFunction):
                        value.__name__ = value.__qualname__ = name
                    ns[name] = value
            exec(compile(test_source, f"<{label}>", "exec"), ns)
            return Outcome("ok")
        except KernelGone as gone:
            if gone.status in ("timeout", "died"):
                return Outcome(gone.status)
            return Outcome("error", "GradingError", "the kernel ended the test before the checker finished")
        except Exception as exc:  # noqa: BLE001 - the test failed: its message is the feedback
            return Outcome("error", type(exc).__name__, str(exc))
        finally:
            try:
                self.bridge.send(_DONE)
            finally:
                _Quiet.leave()
                grading.RUN_SEED.reset(token)

    # -- the student's cells (their calls of the stubs' functions are answered here) -------------
    async def run_cell(self, kernel, source, timeout):
        """Run one of the student's cells (or a locked one); their calls of the stubs' functions
        are answered here, and those functions may call the student's back (gradcheck(f, ...))."""
        self.cell_bridge = None
        try:
            return await execute(kernel, source, timeout, self._cell_prompt)
        finally:
            if self.cell_bridge is not None:
                self.cell_bridge.close("died")
            self.cell_bridge = self.bridge = None

    async def _cell_prompt(self, text):
        loop = asyncio.get_running_loop()
        bridge = self.cell_bridge
        if bridge is None:
            try:
                request = self._load(text)
            except WireError:
                return ""
            if request.get("op") != "callback":
                return ""
            self.bridge = self.cell_bridge = bridge = _Bridge(loop)
            bridge.final = loop.run_in_executor(None, self._answer_callback, request)
        else:
            bridge.inbox.put(text)               # the result of a call the callback made
        sent = asyncio.ensure_future(bridge.outbox.get())
        done, _ = await asyncio.wait({sent, bridge.final}, return_when=asyncio.FIRST_COMPLETED)
        if sent in done:                         # the callback calls one of the student's functions
            return sent.result()
        sent.cancel()
        self.bridge = self.cell_bridge = None
        try:
            return json.dumps(bridge.final.result())
        except BaseException:  # noqa: BLE001 - the kernel went away under the callback
            return json.dumps({"op": "raise", "msg": "the grader's function could not finish"})


def _write_back(target, new):
    """Put the kernel's new contents of an argument into the checker's own object."""
    if isinstance(target, np.random.Generator):
        try:
            target.bit_generator.state = new
        except (TypeError, ValueError, KeyError):
            pass
    elif isinstance(target, np.ndarray):
        if isinstance(new, np.ndarray) and new.shape == target.shape and target.flags.writeable:
            if not np.array_equal(new, target, equal_nan=target.dtype.kind in "fc"):
                np.copyto(target, new, casting="unsafe")
    elif type(target) is dict and type(new) is dict:
        target.clear()
        target.update(new)
    elif type(target) is list and type(new) is list:
        target[:] = new


def _setup_namespace(setup_source):
    """The setup cell's names, executed here (IPython magics in it are skipped)."""
    from IPython.core.inputtransformer2 import TransformerManager

    ns = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _NoShell}
    code = TransformerManager().transform_cell(setup_source)
    exec(compile(code, "<setup cell>", "exec"), ns)
    return ns


class _NoShell:
    """``get_ipython()`` for the setup cell's magics in the grader: they do nothing here."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _free_names(source):
    """The names a cell reads without binding them itself."""
    tree = ast.parse(source)
    read, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return read - bound


def _module_aliases(source):
    """{alias: module} for the checker modules the setup binds (``from lessons_lib.grading import lesson07 as check``)."""
    aliases = {}
    for name, origin in source.known.items():
        if origin == GRADING or origin.startswith(GRADING + "."):
            aliases[name] = origin
    return aliases


def _checker_calls(source):
    """The names the test cells call on checker modules (``check.momentum_step(...)``)."""
    from .source_format import role, source_text

    aliases = _module_aliases(source)
    names = set()
    for cell in source.cells:
        if role(cell) != "test" or cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(source_text(cell))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases:
                names.add(node.func.attr)
    return names


def _forbidding(source, test_source):
    """The FORBIDDEN modules of the checkers this test cell runs ({module: reason})."""
    aliases = _module_aliases(source)
    out = {}
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return out
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases:
            module = sys.modules.get(aliases[node.func.value.id])
            out.update((getattr(module, "FORBIDDEN", None) or {}).get(node.func.attr, {}))
    return out
