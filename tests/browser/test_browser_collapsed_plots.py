"""A lecturer who opens a lesson in JupyterLab sees the plotting cells collapsed (issue 14).

The cells tagged ``hide-input`` carry ``jupyter.source_hidden = true`` (tests/test_slides_metadata.py);
here JupyterLab, in Chromium, shows exactly those cells' code collapsed (the input replaced by its
placeholder bar) and every other code cell's code on the page, and a collapsed cell still shows its
figure once it has run.
"""
import nbformat
import pytest

import lab as labdriver

pytestmark = pytest.mark.browser

LESSON = "notebooks/08_momentum.ipynb"


def hidden_on_page(lab):
    """Per cell of the open notebook: (is a code cell, JupyterLab's inputHidden, the code's editor visible)."""
    return lab.page.evaluate("id => {" + labdriver._FIND + """
        const w = find(id);
        return w.content.widgets.map(c => {
            const editor = c.node.querySelector('.jp-InputArea-editor');
            const shown = editor !== null && editor.offsetParent !== null && editor.getBoundingClientRect().height > 0;
            return [c.model.type === 'code', c.inputHidden, shown];
        });
    }""", lab.panel_id)


def test_plotting_cells_open_collapsed_and_still_show_their_figure(lab):
    nb = nbformat.read(lab.server.root_dir / LESSON, as_version=4)
    tagged = [("hide-input" in c.metadata.get("tags", [])) for c in nb.cells]
    assert any(tagged), f"{LESSON} has no hide-input cell to check"
    lab.open(LESSON)
    page = hidden_on_page(lab)
    assert len(page) == len(nb.cells)
    for k, ((is_code, input_hidden, editor_shown), hide) in enumerate(zip(page, tagged)):
        if not is_code:
            continue
        assert input_hidden == hide, f"cell {k}: JupyterLab's inputHidden is {input_hidden}, tagged hide-input: {hide}"
        assert editor_shown != hide, f"cell {k}: its code is {'shown' if editor_shown else 'hidden'} on the page"
    # run the lesson up to its first collapsed plotting cell: the figure appears, the code stays collapsed
    first = tagged.index(True)
    for k in range(first + 1):
        if nb.cells[k].cell_type == "code":          # the collapsed cell has no prompt to click: run by command
            lab.page.evaluate("async ([id, k]) => {" + labdriver._FIND + """
                const w = find(id);
                w.content.activeCellIndex = k;
                await window.jupyterapp.commands.execute('notebook:run-cell');
            }""", [lab.panel_id, k])
            lab.wait_for(lambda s, k=k: s["kernel"] == "idle" and s["cells"][k]["count"] is not None, 120,
                         f"cell {k} to run")
    state = lab.wait_for(lambda s: s["kernel"] == "idle" and s["cells"][first]["count"] is not None, 120,
                         "the first collapsed plotting cell to run")
    assert "image/png" in {m for o in state["cells"][first]["outputs"] for m in o.get("mime_types", [])}, \
        f"cell {first}: no figure after running it"
    assert hidden_on_page(lab)[first][1:] == [True, False], f"cell {first}: its code opened up after running"
