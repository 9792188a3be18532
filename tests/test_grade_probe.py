"""The probe's parts without a kernel: the wire's plain data, the write-back, the stubs, hidden seeds.

The whole path (kernel, stdin channel, grader-side checkers) is tested by grading submissions
in tests/test_grade_honest.py and tests/test_grade_attacks.py.
"""
import json
import math

import numpy as np
import pytest

from lessons_lib import grading
from lessons_lib.autograder import probe
from lessons_lib.autograder.wire import Opaque, Wire, WireError, plain
from submissions import source_path


def roundtrip(value):
    data = json.loads(json.dumps(Wire().encode(value)))
    return Wire().decode(data)


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**80, 1.5, -0.0, math.inf, -math.inf, "text", "", 1 + 2j,
    (1, 2.0, "x"), [1, [2, [3]]], {"a": 1, 2: "b", (1, 2): [3]}, {1, 2, 3}, frozenset({"a"}),
])
def test_plain_python_values_cross_unchanged(value):
    got = roundtrip(value)
    assert got == value and type(got) is type(value)
    if isinstance(value, float) and value == 0:
        assert math.copysign(1, got) == math.copysign(1, value)


def test_nan_crosses_as_nan():
    assert math.isnan(roundtrip(math.nan))


@pytest.mark.parametrize("array", [
    np.arange(6.0).reshape(2, 3), np.array(3.5), np.zeros((0, 4)), np.array([True, False]),
    np.arange(5, dtype=np.int32), np.array([1 + 1j, np.nan]), np.array(["ab", "c"]), np.asfortranarray(np.eye(3)),
    np.arange(10.0)[::3],
])
def test_arrays_keep_dtype_shape_and_values(array):
    got = roundtrip(array)
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    assert np.array_equal(got, array, equal_nan=array.dtype.kind in "fc")
    assert got.flags.writeable


def test_read_only_arrays_stay_read_only_and_numpy_scalars_keep_their_type():
    ro = np.ones(3)
    ro.flags.writeable = False
    assert not roundtrip(ro).flags.writeable
    for scalar in (np.float64(0.1), np.float32(2.5), np.int64(-3), np.bool_(True)):
        got = roundtrip(scalar)
        assert type(got) is type(scalar) and got == scalar


def test_the_same_object_arrives_as_the_same_object_and_cycles_survive():
    a = np.zeros(2)
    state = {"v": a, "w": a}
    cyclic = [1]
    cyclic.append(cyclic)
    got = roundtrip((state, a, cyclic))
    assert got[0]["v"] is got[0]["w"] is got[1]
    assert got[2][1] is got[2]


def test_objects_that_lie_become_numbers_or_arrays_in_the_kernel():
    class Liar(float):
        def __eq__(self, other):
            return True
        __hash__ = float.__hash__

    class FakeArray:
        def __array__(self, *args, **kwargs):
            return np.array([1.0, 2.0])

        def __eq__(self, other):
            return True

    class MyList(list):
        pass

    ok, value = plain(Liar(0.3))
    assert ok and type(value) is float and value == 0.3 and (value == 0.4) is False
    ok, value = plain(FakeArray())
    assert ok and type(value) is np.ndarray and value.tolist() == [1.0, 2.0]
    ok, value = plain(MyList([1, 2]))
    assert ok and type(value) is list
    ok, why = plain(x for x in range(3))
    assert not ok and "generator" in why


def test_what_is_not_data_reaches_the_checker_as_an_empty_object_of_that_type_name():
    got = Wire().decode({"t": "opaque", "type": "generator"})
    assert isinstance(got, Opaque) and type(got).__name__ == "generator"
    assert not isinstance(got, (list, tuple, np.ndarray))


@pytest.mark.parametrize("data, why", [
    ({"t": "nd", "i": 0, "dtype": "<f8", "shape": [3], "b": "AAAA"}, "wrong length"),
    ({"t": "nd", "i": 0, "dtype": "|O", "shape": [1], "b": ""}, "not plain data"),
    ({"t": "nd", "i": 0, "dtype": "<f8", "shape": [-1], "b": ""}, "valid shape"),
    ({"t": "ref", "i": 5}, "never sent"),
    ({"t": "list", "i": 3, "v": []}, "out of order"),
    ({"t": "evil"}, "unknown tag"),
    ({"t": "bad", "what": "a weird thing"}, "a weird thing"),
    ([1, 2], "unexpected list"),
])
def test_malformed_data_is_refused(data, why):
    with pytest.raises(WireError, match=why):
        Wire().decode(data)


def test_deep_nesting_is_refused_on_both_sides():
    deep = []
    for _ in range(1000):
        deep = [deep]
    assert "deeper" in json.dumps(Wire().encode(deep))
    nested = {"t": "tuple", "v": []}
    for _ in range(1000):
        nested = {"t": "tuple", "v": [nested]}
    with pytest.raises(WireError, match="deeper"):
        Wire().decode(nested)


def test_the_kernels_changes_to_arguments_are_written_back_into_the_checkers_objects():
    theta, state, items = np.zeros(3), {"v": np.zeros(2), "t": 0}, [1]
    probe._write_back(theta, np.array([1.0, 2.0, 3.0]))
    new_v = np.ones(2)
    probe._write_back(state, {"v": new_v, "t": 1})
    probe._write_back(items, [1, 2])
    assert theta.tolist() == [1.0, 2.0, 3.0] and state == {"v": new_v, "t": 1} and items == [1, 2]
    probe._write_back(theta, np.zeros(5))            # a different shape cannot be written back
    assert theta.tolist() == [1.0, 2.0, 3.0]
    rng = np.random.default_rng(0)
    moved = np.random.default_rng(0)
    moved.random(3)
    probe._write_back(rng, moved.bit_generator.state)
    assert rng.random() == moved.random()
    probe._write_back(rng, {"bit_generator": "nonsense"})   # an unusable state is ignored


def test_hidden_seeds_are_the_notebooks_own_unless_the_grader_sets_a_run_seed():
    assert grading.hidden_seed(11) == 11
    token = grading.RUN_SEED.set(12345)
    try:
        first = [grading.hidden_seed(s) for s in (11, 12)]
        assert first[0] != 11 and first[0] != first[1]
        assert grading.hidden_seed(11) == first[0]        # one run: the same inputs
    finally:
        grading.RUN_SEED.reset(token)
    token = grading.RUN_SEED.set(54321)
    try:
        assert grading.hidden_seed(11) != first[0]       # another run: new inputs
    finally:
        grading.RUN_SEED.reset(token)
    assert grading.hidden_seed(11) == 11


def _source(topic):
    from lessons_lib.autograder.grade import Source

    path = source_path(topic)
    return Source.load(path, path.read_bytes())


def test_the_kernels_checker_module_has_no_references_and_its_checkers_do_nothing():
    stubs = probe.Probe(_source("momentum")).stubs
    (name,) = [n for n in stubs if n.startswith("lessons_lib.grading.lesson")]
    attrs = stubs[name]
    assert attrs["momentum_step"] == {"t": "noop"} and attrs["optimal_momentum"] == {"t": "noop"}
    assert not any(a.startswith("_") for a in attrs)
    assert "_best_pair" not in attrs and "measured_rate" not in attrs
    gradients = probe.Probe(_source("gradients")).stubs
    (name,) = [n for n in gradients if n.startswith("lessons_lib.grading.lesson")]
    assert gradients[name]["f"]["t"] == "cb"                  # the set's f: computed by the grader
    assert gradients[name]["QUADRATIC_CURVATURE"] == 10.0     # public data: a copy
    assert gradients[name]["F"]["t"] == "obj"                 # a library object: rebuilt in the kernel


def test_a_forbidden_module_becomes_a_watched_stub():
    p = probe.Probe(_source("backpropagation"))
    assert "lessons_lib.gradcheck" in p.stubs
    watched = {name for _, name in p.watch.values()}
    assert "lessons_lib.gradcheck.numerical_gradient" in watched
    assert p.stubs["lessons_lib.gradcheck"]["GradcheckResult"]["t"] == "class"


def test_the_names_a_test_cell_reads_from_the_kernel():
    names = probe._free_names("check.basins(descend, basin_of)\nsurface = LocalMinima()\n"
                              "for start in [(0, 1)]:\n    print(basin_of(surface, start), [x for x in range(2)])\n")
    assert names == {"check", "descend", "basin_of", "LocalMinima", "print", "range"}


@pytest.mark.parametrize("run_seed", [1, 2])
def test_every_solution_passes_its_hidden_tests_on_other_hidden_inputs(run_seed):
    """Hidden inputs change every grading run: the solutions must pass on any of them."""
    from submissions import run_solution_tests

    token = grading.RUN_SEED.set(run_seed)
    try:
        failures = run_solution_tests()
    finally:
        grading.RUN_SEED.reset(token)
    assert failures == []
