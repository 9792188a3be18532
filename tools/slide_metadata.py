"""Give every lesson its slide structure: slide types, hidden plotting cells and speaker notes.

    python tools/slide_metadata.py            # rewrite the metadata of notebooks/NN_*.ipynb
    python tools/slide_metadata.py --check    # exit 1 and list the lessons whose metadata is not what it gives

The conventions (README of issue 14, shared with the slides build):

- every cell has ``metadata.slideshow.slide_type``: the title cell and each cell with a ``## `` heading
  start a "slide", a ``### `` subsection or a "Predict first" question starts a "subslide", the
  experiment that answers a "Predict first" is a "fragment" (the lecturer pauses before it), text or a
  figure that would overflow the screen (LONG) continues on a "subslide", everything else is "-";
  the setup cell of imports is "skip"; speaker notes are "notes";
- a cell whose code only draws a figure (a plotting call; no function or class defined, no widget,
  nothing printed, no name that a later cell uses) gets the tag ``hide-input`` and
  ``metadata.jupyter.source_hidden = true``: the slides and the site show its figure without its code,
  JupyterLab opens it collapsed;
- speaker notes (NOTES below) are short markdown cells starting with ``**Lecturer's note:**``.

The rules are applied mechanically; OVERRIDES and SHOW (cells kept visible although the rule would hide
them) are the hand-made exceptions. Running the script again gives the same notebooks: it rewrites only
``slideshow``, the ``hide-input`` tag and ``jupyter.source_hidden``, and inserts each note once (by its
cell id). Nothing else in a notebook changes: the JSON is written back as nbformat writes it.
"""
import ast
import json
import re
import sys
from pathlib import Path

import lessons_lib.widgets

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"

SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
HIDE_TAG = "hide-input"
NOTE_START = "**Lecturer's note:**"

# a call that draws: pyplot, the course's plots module, or an Axes/Figure drawing method
PLOTTING = re.compile(
    r"\bplt\.\w+\(|\bplots\.\w+\("
    r"|\.(plot|semilogx|semilogy|loglog|scatter|imshow|pcolormesh|contour|contourf|quiver|bar|barh|hist"
    r"|vlines|hlines|axhline|axvline|axvspan|fill_between|annotate|colorbar|suptitle)\(")
# a call of a lessons_lib.widgets name (a widget, or a helper such as widgets.gd_regime)
WIDGET = re.compile(r"\bwidgets\.\w+\s*\(|\b(" + "|".join(lessons_lib.widgets.__all__) + r")\s*\(")
# names a plotting cell may assign without the cell becoming part of the computation
PLOT_NAMES = re.compile(r"^(fig|_|ax|axes|ax\w*|legend|handle|image|ring|dot|arrow|colors?|cmap|labels?|names?|"
                        r"xs|zs|k|t|deg|r|cols|shown|seen|steps|epochs|jitter|near|on_map|at_spike|window|"
                        r"points|style|name|color|label|g|s|h|i|j|x0|x1|y0|y1|X|Y|G|length|f0|slope)$")
SETUP_LINE = re.compile(r"^\s*(import |from \S+ import |%|#|os\.environ|np\.set_printoptions|warnings\.|plt\.rcParams|$)")

LONG = 320          # words on one screen (a code line counts as 10, a figure as 200): more goes on a subslide

# Hand-made exceptions: {lesson: {cell id: slide type}}.
OVERRIDES = {}

# Plotting cells kept visible although the rule would hide them: the plotting call holds the experiment
# (its settings are what a student changes), or the lesson is about what the cell computes.
SHOW = {
    "10": {"l09-08"},          # GD and Adagrad on the two ravines are run inside the figure's loop
}

# Speaker notes: {lesson: [(id of the cell the note follows, id of the note, text)]}; the text gets
# "**Lecturer's note:**" in front. One to four lines each: they count in the lesson's reading time
# (05, 06, 08 and 12 are at the 45-minute limit with their checks of understanding: one short note each).
NOTES = {
    "00": [
        ("cell-00", "notes-00-1",
         "Open with the four words the whole course uses: θ (the parameters), g (the gradient), lr, and "
         "the difference between a **step** (one update) and an **epoch** (one pass over the data). Write "
         "θ ← θ − lr·g on the board and leave it there."),
        ("cell-06", "notes-00-2",
         "Ask the room before running: 32 examples in batches of 5, two epochs: how many steps? "
         "(⌈32/5⌉ = 7 per epoch, 14 in all; the last batch of each epoch holds 2 examples.)"),
    ],
    "01": [
        ("cell-04", "notes-01-1",
         "Board: Taylor-expand f(x ± h) = f(x) ± h f'(x) + h²/2 f''(x) ± h³/6 f'''(x). The one-sided quotient "
         "keeps the h/2 f'' term, the central one cancels it and is wrong by h²/6 f''': O(h) against O(h²)."),
        ("cell-14", "notes-01-2",
         "Board: the slope along a unit vector u is D_u f = ∇f · u = |∇f| cos φ. It is smallest, −|∇f|, at "
         "φ = 180°, so u = −∇f/|∇f| is the steepest way down; at φ = 90° (along the contour) it is 0."),
        ("cell-20", "notes-01-3",
         "Ask the room: on f = x²/2 one step maps x to (1 − lr)·x. Which of the six rates diverge? "
         "(|1 − lr| > 1: lr = 2.5; lr = 2 bounces for ever, lr = 1 lands in one step.)"),
    ],
    "02": [
        ("curv-12", "notes-02-1",
         "Board: on f = ½θᵀAθ, GD is θ ← (I − lr·A)θ. Write θ = Σ zᵢ qᵢ in A's eigenvectors: each "
         "zᵢ ← (1 − lr·λᵢ) zᵢ, one 1-D problem per direction. Converges iff |1 − lr·λ_max| < 1, i.e. lr < 2/λ_max."),
        ("curv-17", "notes-02-2",
         "Board: the best fixed rate makes the two extreme factors equal and opposite, "
         "1 − lr·λ_min = −(1 − lr·λ_max), so lr* = 2/(λ_min + λ_max) and the rate is (κ − 1)/(κ + 1)."),
        ("curv-19", "notes-02-3",
         "Ask the room: what is the best rate on a round bowl (κ = 1), and where does it land? "
         "(1/λ, half the limit: on the minimum in one step.)"),
    ],
    "03": [
        ("cell-15", "notes-03-1",
         "Board: with p = σ(z), d/dz of −log p is p − 1, while d/dz of ½(p − 1)² is (p − 1)·p(1 − p). "
         "The factor p(1 − p) is the sigmoid's slope: near 0 when the model is confidently wrong, so the "
         "squared error stops pushing exactly where it should push hardest."),
        ("softmax-2", "notes-03-2",
         "Board: L = −z_y + log Σⱼ exp(zⱼ), so ∂L/∂z_k = p_k − [k = y], i.e. p − onehot(y). Then ask the room: why "
         "may we subtract max(z) from every logit? (softmax(z − c) = softmax(z): the exp(−c) cancels.)"),
    ],
    "04": [
        ("l03-24", "notes-04-3",
         "Ask the room: of the five starts, which reach the minimum in 1000 epochs? (Three; (−4, 4) and "
         "(−5, −5) sit on the shelf with the error above 0.4: stuck on a plateau, not in a minimum.)"),
        ("l03-12", "notes-04-1",
         "Board: E = ½ Σᵢ (f(xᵢ) − yᵢ)² with f = σ(w x + b). Then ∂E/∂w = Σ (f − y) f(1 − f) x and "
         "∂E/∂b = Σ (f − y) f(1 − f). At the start (−2, −2) both outputs are almost 0, f(1 − f) is tiny: the plateau."),
        ("l03-08", "notes-04-2",
         "Ask the room before the map: where is this surface steep, and which way does −∇E point at A? "
         "(Crowded lines mean steep; −∇E crosses the lines at a right angle, downhill.)"),
    ],
    "05": [
        ("l04-03", "notes-05-1",
         "Board: the mean of B per-example gradients has variance σ₁²/B: the spread falls like 1/√B."),
    ],
    "06": [
        ("cell-08", "notes-06-1",
         "Board: the Hessian's eigenvalue signs classify a critical point; x² − y² has diag(2, −2)."),
    ],
    "07": [
        ("cell-12", "notes-07-1",
         "Board (Robbins–Monro): Σ lr_t = ∞ lets the steps reach any distance; Σ lr_t² < ∞ bounds the noise the "
         "steps add up. Ask the room: which of 1/t, 1/√t and a constant meet both? (Only 1/t.)"),
        ("cell-17", "notes-07-2",
         "Board: the lecture's linear decay, lr_t = (1 − t/τ)·lr₀ + (t/τ)·lr_τ until step τ, then constant "
         "at lr_τ (typically lr_τ ≈ lr₀/100)."),
    ],
    "08": [
        ("fc272b30", "notes-08-1",
         "Board: v_t = lr Σₖ γᵏ g_(t−k); on a steady slope, lr·g/(1 − γ)."),
        ("34e579f2", "notes-08-2",
         "Board: stable iff lr·λ < 2 + 2γ (the two roots multiply to γ)."),
    ],
    "09": [
        ("35423909", "notes-09-1",
         "Board: momentum takes g at θ, NAG at the look-ahead θ − γv, where the momentum step is about to "
         "land: g = ∇J(θ − γv), v ← γv + lr·g, θ ← θ − v. Draw the two arrows of the figure below."),
        ("092a58cc", "notes-09-2",
         "Board: per eigen-direction NAG's roots multiply to γ(1 − lr·λ) instead of γ, so it damps steep "
         "directions hard, but is stable only for lr·λ < (2 + 2γ)/(1 + 2γ). Ask the room: at γ = 0.9, whose limit is "
         "smaller, and by how much? (NAG's, 1.357 against 3.8.)"),
    ],
    "10": [
        ("l09-02", "notes-10-1",
         "Board: G_t = Σ g², step lr·g/√(G_t + ε) per coordinate. First step: lr·sign(g) in every "
         "coordinate. With a constant gradient G_t = t g², so the step is lr/√t whatever g's size."),
        ("l09-06", "notes-10-2",
         "Ask the room: does a per-coordinate rate help when the ravine is turned by 45°? (No: the steep "
         "direction is no longer a coordinate, so both coordinates see both curvatures.)"),
    ],
    "11": [
        ("l10-02", "notes-11-1",
         "Board: E_t = β E_(t−1) + (1 − β) g_t² unrolls to (1 − β) Σₖ βᵏ g²_(t−k): old gradients fade with "
         "weight βᵏ, so unlike Adagrad's G the rates can grow back."),
        ("l10-08", "notes-11-2",
         "Board: Adadelta's step −RMS[Δθ]_(t−1)/RMS[g]_t · g has the units of θ. Ask the room: with no "
         "history, how long is the first step? (About √(ε/(1 − ρ)): ε sets it.)"),
    ],
    "12": [
        ("l11-05", "notes-12-1",
         "Board: a steady g gives m_t = (1 − β₁ᵗ)·g, hence m̂."),
    ],
    "13": [
        ("l12-07", "notes-13-1",
         "Board: walk the tree from L back to the inputs; each node's gradient is its parent's gradient "
         "times the local derivative (∂L/∂a = ∂L/∂z · ∂z/∂a), starting from ∂L/∂L = 1."),
        ("l12-12", "notes-13-2",
         "Ask the room: a value feeds two nodes. Do their gradients overwrite or add? (Add: the "
         "multivariable chain rule sums over every path, hence += in backward.)"),
    ],
    "14": [
        ("l12-20", "notes-14-1",
         "Board: for Z = XW + b with upstream gradient dZ: dW = Xᵀ dZ, db = the column sums of dZ, dX = dZ Wᵀ; "
         "relu passes dZ where its input was positive and 0 elsewhere. Check the shapes."),
        ("l12-29", "notes-14-2",
         "Ask the room: why not take h as small as possible? (Rounding error grows like ε·|f|/h; the central "
         "difference's best h is near ε^(1/3) ≈ 1e-5.)"),
    ],
    "15": [
        ("l15-04", "notes-15-1",
         "Board: z = Σ w_i x_i with independent, zero-mean w and x gives Var(z) = n_in·Var(w)·Var(x). "
         "Keeping the variance: Var(w) = 1/n_in forward, 1/n_out backward; Glorot takes 2/(n_in + n_out)."),
        ("l15-06", "notes-15-2",
         "Board: relu zeroes half of a symmetric input, so E[relu(z)²] = Var(z)/2: He doubles the weights' "
         "variance, Var(w) = 2/n_in. Ask: what does all-zero initialisation do? (Every hidden unit stays equal.)"),
    ],
    "16": [
        ("13-06", "notes-16-3",
         "Ask the room: will easy examples first speed training up here? (Measured: no, "
         "the curriculum buys nothing on the moons.)"),
        ("13-09", "notes-16-1",
         "Board: batch norm x̂ = (x − μ_B)/√(σ_B² + ε), then y = γ x̂ + β; layer norm takes μ, σ over one "
         "example's units instead of over the batch."),
        ("13-19", "notes-16-2",
         "Board: inverted dropout keeps a unit with probability p and divides by p, so E[output] is "
         "unchanged and testing needs no rescaling. Ask the room: why not divide at test time instead?"),
    ],
    "17": [
        ("l17-02", "notes-17-1",
         "Board: annealed noise, g ← g + N(0, σ_t²) with σ_t² = η/(1 + t)^γ, γ = 0.55: large early "
         "(to leave saddles), fading later (so the run settles)."),
        ("l17-rs", "notes-17-2",
         "Ask the room: nine trials over two hyperparameters, only one of which matters. How many distinct "
         "values of it does a 3 × 3 grid try, and a random search? (3 against 9.)"),
    ],
    "18": [
        ("gen-02", "notes-18-1",
         "Board: the generalisation gap is test loss minus training loss; the test set is never used to "
         "choose anything, or it stops measuring generalisation."),
        ("gen-06", "notes-18-2",
         "Board: near a minimum, L(θ* + δ) ≈ L(θ*) + ½ δᵀHδ. Ask the room: for noise δ ~ N(0, σ²I) on every "
         "weight, which property of H does the expected rise measure, and how does it scale with σ? (Leave it "
         "open: exercise 2 of set 18 derives it.) Then: did our small-batch runs find the flatter minima? (Here, no.)"),
    ],
    "19": [
        ("mod-02", "notes-19-3",
         "Board: linear warm-up, lr_t = lr·t/T for t ≤ T, then the schedule after it: the first steps stay "
         "small while Adam's v is still a poor estimate of the squared gradients."),
        ("mod-11", "notes-19-1",
         "Board: L2 inside Adam adds λθ to g, and then divides it by √v̂: parameters with large gradients "
         "are hardly decayed. AdamW decays outside: θ ← θ − lr·(m̂/(√v̂ + ε) + λθ), the same λ for every parameter."),
        ("mod-22", "notes-19-2",
         "Ask the room before the reveal: for each of the four curves, is the rate too low, too high, "
         "about right, or is it a bug? (One of them is a sign error.)"),
    ],
    "20": [
        ("14-06", "notes-20-1",
         "Ask the room: at lr = 0.01 RMSProp and Adam look far better than GD. Is that a fact about the "
         "optimizers? (No: each has its own best rate; compare each at its tuned rate.)"),
        ("14-18", "notes-20-2",
         "Board: the project's three steps: check the gradient on a tiny instance (a wrong gradient still "
         "\"trains\", just badly), train with a library optimizer, then judge the result against a baseline "
         "(for a linear autoencoder: the PCA bound, half the variance outside the 8 leading directions)."),
    ],
}


def source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def as_source(text):
    """Text in the list-of-lines form the committed notebooks use."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def is_heading_cell(cell, level):
    prefix = "#" * level + " "
    return cell["cell_type"] == "markdown" and any(line.startswith(prefix) for line in source(cell).splitlines())


def is_note(cell):
    return cell["cell_type"] == "markdown" and source(cell).lstrip().startswith(NOTE_START)


def defines_function(src):
    """True if the code defines a function or class (def, class or a lambda)."""
    try:
        tree = ast.parse(_python(src))
    except SyntaxError:
        return bool(re.search(r"^\s*(def|class) |lambda\b", src, re.M))
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
               for n in ast.walk(tree))


def _python(src):
    """The code without IPython magics, so that ast can read it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


def assigned_names(src):
    try:
        tree = ast.parse(_python(src))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.For, ast.With)):
            continue                              # loop variables stay inside the picture
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            continue
        for target in targets:
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def used_names(src):
    try:
        tree = ast.parse(_python(src))
    except SyntaxError:
        return set(re.findall(r"\b\w+\b", src))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def draws(src):
    return bool(PLOTTING.search(src))


def hideable(cells, k, lesson):
    """True if code cell k only draws a figure (see the module docstring)."""
    cell = cells[k]
    src = source(cell)
    if cell["cell_type"] != "code" or cell.get("id") in SHOW.get(lesson, ()):
        return False
    if not draws(src) or WIDGET.search(src) or defines_function(src) or "print(" in src:
        return False
    kept = {n for n in assigned_names(src) if not PLOT_NAMES.match(n)}
    later = set()
    for other in cells[k + 1:]:
        if other["cell_type"] == "code":
            later |= used_names(source(other))
    return not (kept & later)


def is_setup(cell, k):
    src = source(cell)
    return (cell["cell_type"] == "code" and k <= 2 and src.strip() != ""
            and all(SETUP_LINE.match(line) for line in src.splitlines()))


def load(cell, hidden=False):
    """How much of a screen a cell fills, in words (a hidden cell: only its figure)."""
    src = source(cell)
    if cell["cell_type"] == "markdown":
        return len(src.split())
    lines = 0 if hidden else sum(1 for line in src.splitlines() if line.strip())
    return 10 * lines + (200 if draws(src) else 0)


def slide_types(cells, lesson):
    """The slide type of every cell, by the rules, then OVERRIDES."""
    types, filled, answer_next = [], 0, False
    for k, cell in enumerate(cells):
        src = source(cell)
        size = load(cell, hidden=hideable(cells, k, lesson))
        if is_note(cell):
            t = "notes"
        elif k == 0 or is_heading_cell(cell, 2) or is_heading_cell(cell, 1):
            t = "slide"
        elif is_setup(cell, k):
            t = "skip"
        elif cell["cell_type"] == "markdown" and (src.startswith("### ") or "**Predict first:**" in src):
            t = "subslide"
        elif cell["cell_type"] == "code" and answer_next:
            t = "fragment"
        elif filled and filled + size > LONG and (cell["cell_type"] == "markdown" or draws(src)):
            t = "subslide"
        else:
            t = "-"
        if t in ("slide", "subslide"):
            filled = 0
        if t not in ("notes", "skip"):
            filled += size
        if cell["cell_type"] == "markdown" and t != "notes":
            answer_next = "**Predict first:**" in src
        elif cell["cell_type"] == "code":
            answer_next = False
        types.append(t)
    for k, cell in enumerate(cells):
        types[k] = OVERRIDES.get(lesson, {}).get(cell.get("id"), types[k])
    return types


def note_cell(note_id, text):
    text = text.strip()
    if not text.startswith(NOTE_START):
        text = f"{NOTE_START} {text}"
    return {"cell_type": "markdown", "id": note_id, "metadata": {"slideshow": {"slide_type": "notes"}},
            "source": as_source(text)}


def insert_notes(cells, lesson):
    """Insert NOTES[lesson] (or update their text); drop the tool's own notes that NOTES no longer lists."""
    listed = {note_id for _, note_id, _ in NOTES.get(lesson, [])}
    cells[:] = [c for c in cells if not (re.fullmatch(r"notes-\d\d-\d+", c.get("id", "")) and c["id"] not in listed)]
    for after, note_id, text in NOTES.get(lesson, []):
        new = note_cell(note_id, text)
        existing = [k for k, c in enumerate(cells) if c.get("id") == note_id]
        if existing:
            cells[existing[0]]["source"] = new["source"]
            continue
        at = [k for k, c in enumerate(cells) if c.get("id") == after]
        if len(at) != 1:
            raise SystemExit(f"lesson {lesson}: the note {note_id!r} follows cell {after!r}, found {len(at)} times")
        cells.insert(at[0] + 1, new)


def apply(nb, lesson):
    cells = nb["cells"]
    insert_notes(cells, lesson)
    types = slide_types(cells, lesson)
    for k, (cell, t) in enumerate(zip(cells, types)):
        meta = cell.setdefault("metadata", {})
        meta["slideshow"] = {"slide_type": t}
        tags = [tag for tag in meta.get("tags", []) if tag != HIDE_TAG]
        jupyter = {key: v for key, v in meta.get("jupyter", {}).items() if key != "source_hidden"}
        if cell["cell_type"] == "code" and hideable(cells, k, lesson):
            tags.append(HIDE_TAG)
            jupyter["source_hidden"] = True
        for key, value in (("tags", tags), ("jupyter", jupyter)):
            if value:
                meta[key] = value
            else:
                meta.pop(key, None)
    ids = [c.get("id") for c in cells]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise SystemExit(f"lesson {lesson}: duplicated cell ids {duplicated}")
    return nb


def dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv):
    check = "--check" in argv
    wrong = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        text = path.read_text(encoding="utf-8")
        new = dumps(apply(json.loads(text), path.name[:2]))
        if new != text:
            wrong.append(path.name)
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and wrong:
        print("slide metadata out of date (run python tools/slide_metadata.py):", *wrong, sep="\n  ")
        return 1
    print(("out of date: " if check else "rewrote: ") + (", ".join(wrong) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
