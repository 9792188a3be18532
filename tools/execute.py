"""Executed lessons, from one cache shared by the slides and the site (jupyter-cache, as Jupyter Book uses).

A notebook's cache key is its code cells (source and metadata, so a new ``hide-input`` tag counts)
and its kernel, never its markdown: an edit to one lesson's code re-executes that lesson only, and
the site's build (myst-nb, cache mode) and the slides' find each other's results.
"""
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution


class ExecutionFailed(RuntimeError):
    """A lesson raised while it executed; the message holds the lesson and its traceback."""


def executed(path, cache_dir, timeout=600, log=print):
    """The lesson at ``path`` with its outputs: from the cache if its code is unchanged, else run (and cached)."""
    path = Path(path)
    cache = get_cache(str(cache_dir))
    nb = nbformat.read(path, as_version=4)
    try:
        record = cache.match_cache_notebook(nb)
    except KeyError:
        record = None
    if record is not None:
        return cache.merge_match_into_notebook(nb)[1]
    log(f"executing {path.name}")
    result = single_nb_execution(nb, cwd=str(path.parent), allow_errors=False, timeout=timeout,
                                 meta_override=True)
    if result.err is not None:
        raise ExecutionFailed(f"{path} raised while executing:\n{result.exc_string}")
    cache.cache_notebook_bundle(CacheBundleIn(nb, str(path.resolve()), data={"execution_seconds": result.time}),
                                check_validity=False, overwrite=True)
    return nb
