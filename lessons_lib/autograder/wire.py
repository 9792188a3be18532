"""Plain data on the wire between the grader and the kernel: tagged JSON, both directions.

The safe grader never lets an object of the student's cross into its own process:
whatever a student's function returns is turned into plain data here, in the
kernel, and the grader rebuilds plain Python and numpy values from it. The same
file runs on both sides: the grader imports it, and sends its text to each
kernel, which executes it in a private module (so nothing the student does to a
module on disk reaches the grader's copy).

A value is encoded as JSON:

    None, bool, int, float (nan and inf included), str      as themselves
    {"t": "list" | "tuple" | "set", "v": [...]}              containers
    {"t": "dict", "k": [...], "v": [...]}                    any keys
    {"t": "nd", "dtype", "shape", "b" (base64), "ro"}        numpy arrays (bool, int, float, complex, str)
    {"t": "ndo", "shape", "v": [...]}                        numpy arrays of Python objects
    {"t": "np", "dtype", "b"}                                numpy scalars (np.float64, np.bool_, ...)
    {"t": "complex", "re", "im"}
    {"t": "ref", "i": k}                                     the k-th container already on this wire
    {"t": "obj", "cls": "module:Name", "state": {...}}       an object of a lessons_lib class
    {"t": "rng", "bg": "PCG64", "state": {...}}             a numpy Generator
    {"t": "meth", "obj": ..., "name": ...}                   a bound method of a lessons_lib object
    {"t": "cb", "id": n}, {"t": "kref", "id": n}            a function living on the other side
    {"t": "opaque", "type": "generator"}                     an object that is not data (sent as its type's name)
    {"t": "bad", "what": "..."}                              something the protocol does not allow

Containers (arrays, lists, dicts, Generators, lessons_lib objects) are numbered in
the order they are first met, on both sides alike, so the same object sent twice
(or returned as it was given) arrives as the same object: ``Wire.memo`` is that
numbering for one call.
"""
import base64
import math
import numbers

import numpy as np

LIB = "lessons_lib"
# Classes of these packages never cross: the checkers and the grader stay on the grader's side.
PRIVATE_PACKAGES = ("lessons_lib.grading", "lessons_lib.autograder")
MAX_DEPTH = 200
_PLAIN_DTYPE_KINDS = "biufcU"


class WireError(ValueError):
    """A message that is not what the protocol allows (the text says what)."""


def library_class(cls):
    """Whether instances of ``cls`` may be sent as a spec (a lessons_lib class, not the grader's own)."""
    module = getattr(cls, "__module__", "") or ""
    if not (module == LIB or module.startswith(LIB + ".")):
        return False
    return not any(module == p or module.startswith(p + ".") for p in PRIVATE_PACKAGES)


def class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


class Wire:
    """One direction of one exchange: encodes values, or decodes them, with a shared numbering.

    ``other(value)`` encodes what is not plain data (each side decides: the grader
    registers callbacks, the kernel hands out references to its functions);
    ``special(tagged)`` decodes the tags "cb", "kref", "obj", "meth" and "rng".
    """

    def __init__(self, other=None, special=None, memo=None):
        self.other = other
        self.special = special
        self.memo = memo if memo is not None else []   # the numbered containers, in order
        self._ids = {id(v): i for i, v in enumerate(self.memo)}

    # -- encoding ------------------------------------------------------------------------
    def encode(self, value, depth=0):
        if depth > MAX_DEPTH:
            return {"t": "bad", "what": f"data nested deeper than {MAX_DEPTH} levels"}
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            return value
        if kind is float:
            return value
        if kind is complex:
            return {"t": "complex", "re": value.real, "im": value.imag}
        if kind is tuple:
            return {"t": "tuple", "v": [self.encode(v, depth + 1) for v in value]}
        known = self._ids.get(id(value))
        if known is not None and self.memo[known] is value:
            return {"t": "ref", "i": known}
        if kind is list:
            i = self._number(value)
            return {"t": "list", "i": i, "v": [self.encode(v, depth + 1) for v in list.__iter__(value)]}
        if kind is dict:
            i = self._number(value)
            items = list(dict.items(value))
            return {"t": "dict", "i": i, "k": [self.encode(k, depth + 1) for k, _ in items],
                    "v": [self.encode(v, depth + 1) for _, v in items]}
        if kind in (set, frozenset):
            return {"t": "set", "frozen": kind is frozenset, "v": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, np.ndarray):
            i = self._number(value)
            return self._array(value, i, depth)
        if isinstance(value, np.generic):
            return self._scalar(value)
        return self.other(self, value, depth) if self.other else {"t": "bad", "what": type(value).__name__}

    def _number(self, value):
        self.memo.append(value)
        self._ids[id(value)] = len(self.memo) - 1
        return len(self.memo) - 1

    def _array(self, value, i, depth):
        arr = np.ndarray.view(value, np.ndarray) if type(value) is not np.ndarray else value
        if arr.dtype.kind in _PLAIN_DTYPE_KINDS and arr.dtype.fields is None:
            data = arr if arr.flags.c_contiguous else arr.copy(order="C")
            return {"t": "nd", "i": i, "dtype": data.dtype.str, "shape": list(data.shape),
                    "b": base64.b64encode(data.tobytes()).decode("ascii"), "ro": not arr.flags.writeable}
        if arr.dtype.kind == "O":
            return {"t": "ndo", "i": i, "shape": list(arr.shape),
                    "v": [self.encode(v, depth + 1) for v in arr.reshape(-1).tolist()]}
        return {"t": "bad", "what": f"an array of dtype {arr.dtype}"}

    @staticmethod
    def _scalar(value):
        dtype = np.dtype(type(value))
        if dtype.kind not in _PLAIN_DTYPE_KINDS:
            return {"t": "bad", "what": f"a numpy {type(value).__name__}"}
        return {"t": "np", "dtype": dtype.str,
                "b": base64.b64encode(np.asarray(value, dtype=dtype).tobytes()).decode("ascii")}

    # -- decoding ------------------------------------------------------------------------
    def decode(self, data, depth=0):
        if depth > MAX_DEPTH:
            raise WireError(f"data nested deeper than {MAX_DEPTH} levels")
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is not dict:
            raise WireError(f"unexpected {type(data).__name__} on the wire")
        tag = data.get("t")
        if tag == "tuple":
            return tuple(self.decode(v, depth + 1) for v in _items(data))
        if tag == "list":
            out = self._register([], data)
            out.extend(self.decode(v, depth + 1) for v in _items(data))
            return out
        if tag == "dict":
            out = self._register({}, data)
            keys, values = _items(data, "k"), _items(data)
            if len(keys) != len(values):
                raise WireError("a dict with more keys than values")
            for k, v in zip(keys, values):
                out[self.decode(k, depth + 1)] = self.decode(v, depth + 1)
            return out
        if tag == "set":
            items = [self.decode(v, depth + 1) for v in _items(data)]
            return frozenset(items) if data.get("frozen") else set(items)
        if tag == "complex":
            return complex(_float(data.get("re")), _float(data.get("im")))
        if tag == "nd":
            return self._register(_array_from(data), data)
        if tag == "ndo":
            shape = _shape(data)
            items = [self.decode(v, depth + 1) for v in _items(data)]
            out = np.empty(len(items), dtype=object)
            out[:] = items if items else out
            try:
                out = out.reshape(shape)
            except ValueError:
                raise WireError("an object array whose shape does not fit its items") from None
            return self._register(out, data)
        if tag == "np":
            arr = np.frombuffer(_bytes(data), dtype=_dtype(data))
            if arr.shape != (1,):
                raise WireError("a numpy scalar that is not one value")
            return arr[0]
        if tag == "ref":
            i = data.get("i")
            if type(i) is not int or not 0 <= i < len(self.memo):
                raise WireError(f"a reference to container {i!r}, which was never sent")
            return self.memo[i]
        if tag == "bad":
            raise WireError(str(data.get("what", "something")))
        if tag == "opaque":
            return opaque(data.get("type"))
        if tag in ("cb", "kref", "obj", "meth", "rng") and self.special is not None:
            return self.special(self, data, depth)
        raise WireError(f"unknown tag {tag!r}")

    def _register(self, value, data):
        i = data.get("i")
        if i != len(self.memo):
            raise WireError("containers out of order on the wire")
        self.memo.append(value)
        self._ids[id(value)] = i
        return value

    def placeholder(self, data):
        """Number an object that ``special`` is about to build (so later references find it): its number."""
        self._register(None, data)
        return len(self.memo) - 1


def _items(data, key="v"):
    items = data.get(key)
    if type(items) is not list:
        raise WireError(f"a {data.get('t')} without its items")
    return items


def _float(x):
    if type(x) not in (int, float):
        raise WireError("a complex number with parts that are not numbers")
    return float(x)


def _shape(data):
    shape = data.get("shape")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("an array without a valid shape")
    return tuple(shape)


def _dtype(data):
    try:
        dtype = np.dtype(str(data.get("dtype")))
    except TypeError:
        raise WireError(f"unknown dtype {data.get('dtype')!r}") from None
    if dtype.kind not in _PLAIN_DTYPE_KINDS or dtype.fields is not None:
        raise WireError(f"dtype {dtype} is not plain data")
    return dtype


def _bytes(data):
    try:
        return base64.b64decode(str(data.get("b", "")), validate=True)
    except ValueError:
        raise WireError("array data that is not base64") from None


def _array_from(data):
    dtype, shape = _dtype(data), _shape(data)
    raw = _bytes(data)
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise WireError("array data of the wrong length for its shape")
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if data.get("ro"):
        arr.flags.writeable = False
    return arr


def plain(value, depth=0):
    """A student's value as plain Python/numpy data (used in the kernel before encoding).

    Numbers become int/float/complex (calling the object's own conversion, whatever
    it does: the result is a number, judged by the grader); array-likes become
    arrays; subclasses of list, tuple, dict, set and str become the plain ones.
    Returns (True, value) or (False, why): anything else is sent as ``opaque``."""
    if depth > MAX_DEPTH:
        return False, "data nested too deep"
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return True, bool(value)
    if isinstance(value, numbers.Integral):
        return True, int(value)
    if isinstance(value, numbers.Real):
        return True, float(value)
    if isinstance(value, numbers.Complex):
        return True, complex(value)
    if isinstance(value, str):
        return True, str.__str__(value)
    if isinstance(value, np.ndarray):
        return True, np.array(value, subok=False)
    if isinstance(value, range):
        return True, list(value)
    if isinstance(value, dict):
        return True, dict(value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        kind = list if isinstance(value, list) else tuple if isinstance(value, tuple) else set
        return True, kind(iter(value))
    if hasattr(type(value), "__array__") or hasattr(value, "__array_interface__"):
        try:
            return True, np.array(np.asarray(value), subok=False)
        except Exception as exc:  # noqa: BLE001 - the student's __array__ failed
            return False, f"a {type(value).__name__} whose conversion to an array failed ({exc})"
    return False, f"a {type(value).__name__} object"


class Opaque:
    """What the grader gets for an object that is not data (a generator, an object of the
    student's own class): something of the same type name, with nothing inside, so a checker
    reacts to it as to the object ("should return a list, got generator")."""

    def __repr__(self):
        return f"<{type(self).__name__} object>"


def opaque(type_name):
    name = str(type_name)[:100] or "object"
    if not name.isidentifier():
        name = "object"
    return type(name, (Opaque,), {"__module__": "student"})()
