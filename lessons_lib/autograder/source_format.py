"""The exercise-set source format (nbgrader's), shared by the generator and the grader.

A source notebook ``solutions/NN_stem.ipynb`` is plain nbformat-4 JSON whose cells
carry ``metadata.nbgrader`` (schema 3). What a cell is follows from three flags,
exactly as nbgrader reads them:

    solution  grade   role
    true      false   answer   (the student writes it; ### BEGIN/END SOLUTION region)
    false     true    test     (locked; points; may hold ### BEGIN/END HIDDEN TESTS)
    true      true    manual   (a written answer, graded by hand; points)
    false     false   locked if "locked" is true, else plain

The student copy keeps every cell and its metadata, replaces each solution region
with a stub (indented like the BEGIN line), removes each hidden-test region (marker
lines included) and clears outputs: the same text nbgrader's generate_assignment
writes. Functions here work on the notebook as parsed JSON (dicts and lists), so
the generator writes byte-for-byte stable files without going through a validator
that might add random cell ids.
"""
import json
import re

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


class FormatError(ValueError):
    """A notebook that is not in the exercise-set format (the message says where)."""


def load_notebook(data, what="notebook"):
    """Parse notebook bytes or text; FormatError (naming ``what``) unless it is nbformat-4 JSON with cells."""
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{what} is not valid notebook JSON ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise FormatError(f"{what} is not a Jupyter notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise FormatError(f"{what} has nbformat {nb.get('nbformat')!r}; only version 4 is supported")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise FormatError(f"{what}: cell {i} is not a code, markdown or raw cell")
        if not isinstance(cell.get("source", ""), (str, list)):
            raise FormatError(f"{what}: cell {i} has a source that is not text")
        if not isinstance(cell.get("metadata", {}), dict):
            raise FormatError(f"{what}: cell {i} has metadata that is not a mapping")
    return nb


def dumps_notebook(nb):
    """The notebook as text, formatted exactly as ``nbformat.write`` formats it."""
    nb = json.loads(json.dumps(nb))  # a deep copy we may reshape
    for cell in nb["cells"]:
        cell["source"] = _split_lines(source_text(cell))
        for out in cell.get("outputs", []):
            if isinstance(out.get("text"), str):
                out["text"] = _split_lines(out["text"])
    text = json.dumps(nb, sort_keys=True, indent=1, separators=(",", ": "), ensure_ascii=False)
    return text + "\n"


def _split_lines(text):
    return text.splitlines(keepends=True)


def source_text(cell):
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def nbgrader_meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def role(cell):
    """'answer', 'test', 'manual', 'locked' or 'plain' (see the module docstring)."""
    meta = nbgrader_meta(cell)
    solution, grade = bool(meta.get("solution")), bool(meta.get("grade"))
    if meta.get("task"):
        return "manual"
    if solution and grade:
        return "manual"
    if solution:
        return "answer"
    if grade:
        return "test"
    if meta.get("locked"):
        return "locked"
    return "plain"


def grade_id(cell):
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def points(cell):
    value = nbgrader_meta(cell).get("points", 0)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _replace_regions(text, begin, end, stub_lines, what):
    """Replace (stub_lines given) or drop (None) every begin..end region, marker lines included."""
    out, inside, found = [], False, False
    for line in text.split("\n"):
        if begin in line:
            if inside:
                raise FormatError(f"{what}: nested '{begin}'")
            inside = found = True
            if stub_lines is not None:
                indent = re.match(r"\s*", line).group(0)
                out.extend(indent + stub for stub in stub_lines)
        elif end in line:
            if not inside:
                raise FormatError(f"{what}: '{end}' without a '{begin}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise FormatError(f"{what}: '{begin}' without a matching '{end}'")
    return "\n".join(out), found


def student_source(cell, what="cell"):
    """The source the student copy shows for this cell (solutions stubbed, hidden tests removed)."""
    text = source_text(cell)
    cell_role = role(cell)
    if cell_role in ("answer", "manual"):
        stub = CODE_STUB if cell.get("cell_type") == "code" else TEXT_STUB
        text, found = _replace_regions(text, BEGIN_SOLUTION, END_SOLUTION, stub.split("\n"), what)
        if not found:
            text = stub  # nbgrader's rule: a solution cell without markers is all solution
    elif BEGIN_SOLUTION in text:
        raise FormatError(f"{what}: a solution region in a cell that is not a solution cell")
    text, found = _replace_regions(text, BEGIN_HIDDEN, END_HIDDEN, None, what)
    if found and cell_role != "test":
        raise FormatError(f"{what}: a hidden-test region in a cell that is not a graded test cell")
    return text


def lock_metadata(cell):
    """Cell metadata for the student copy: nbgrader's LockCells defaults (the UI keeps tests read-only)."""
    meta = dict(cell.get("metadata", {}))
    nbg = nbgrader_meta(cell)
    if nbg.get("solution"):
        meta["deletable"] = False
    elif nbg.get("grade") or nbg.get("locked"):
        meta["deletable"] = False
        meta["editable"] = False
    return meta


def student_copy(nb, what="notebook"):
    """The student version of a parsed source notebook (a new dict; the input is not changed)."""
    out = json.loads(json.dumps(nb))
    for i, cell in enumerate(out["cells"]):
        label = grade_id(cell) or f"cell {i}"
        cell["source"] = student_source(cell, f"{what}, {label}")
        if nbgrader_meta(cell):
            cell["metadata"] = lock_metadata(cell)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return out
