"""Every lesson, opened in JupyterLab in Chromium and run with Run > Run All Cells, as a student
starts: no error output (no traceback, nothing on stderr, no widget that fails to display) and
every code cell executed. The lessons are found on disk, so a new or renumbered lesson is tested
without editing this file. Timings: benchmarks/bench_browser.py.
"""
import nbformat
import pytest

import lab as labdriver

pytestmark = pytest.mark.browser


def test_there_are_lessons_to_run():
    assert len(labdriver.lessons()) >= 10, labdriver.lessons()


@pytest.mark.parametrize("path", labdriver.lessons(), ids=lambda p: p.split("/")[-1].removesuffix(".ipynb"))
def test_lesson_runs_all_in_the_browser(lab, path):
    lab.open(path)
    lab.run_all()
    state = lab.state()
    errors = lab.errors(state)
    assert errors == [], f"{path} shows errors after Run All:\n" + "\n".join(
        f"  cell {i}: {text[:1500]}" for i, text in errors)
    assert lab.unexecuted(state) == [], f"{path}: code cells left unexecuted after Run All"
    # the page shows what the model holds: every code cell's prompt has its number (a plotting cell
    # whose code opens collapsed, jupyter.source_hidden, shows no prompt: its input is folded away)
    collapsed = [c.metadata.get("jupyter", {}).get("source_hidden", False)
                 for c in nbformat.read(lab.server.root_dir / path, as_version=4).cells if c.cell_type == "code"]
    prompts = lab.page.locator(lab._css(".jp-CodeCell .jp-InputPrompt")).all_inner_texts()
    assert len(prompts) == len(collapsed), prompts
    shown = [p for p, hidden in zip(prompts, collapsed) if not hidden]
    assert shown and all(p.strip().startswith("[") and p.strip()[1:-2].isdigit() for p in shown), prompts
