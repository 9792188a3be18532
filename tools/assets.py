"""The scripts the slides and the site load from disk instead of a CDN.

They come from the npm registry, pinned by ``tools/assets/package.json`` and its
``package-lock.json`` (both committed; ``node_modules/`` never is). ``ensure()`` runs
``npm ci`` when ``node_modules/`` is missing or was installed from another lock file, and
the ``copy_*`` functions put the few files a page needs beside the built pages:

    reveal.js/    reveal.js 4 (dist/ and plugin/: the speaker-notes plugin)
    mathjax/      MathJax 2 (nbconvert's slides template calls ``MathJax.Hub``)
    mathjax3/     MathJax 3 (the site: Sphinx's default MathJax)
    require.js    require.js, jquery.min.js: what the slides template and the widget manager load
    html-manager/ @jupyter-widgets/html-manager (embed-amd.js renders saved widget state)
"""
import hashlib
import shutil
import subprocess
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
LOCK = ASSETS / "package-lock.json"
MODULES = ASSETS / "node_modules"
# npm ci writes its own record of the tree it installed here; we keep the lock's hash beside it,
# so an edited lock file (a version bump) reinstalls on the next build.
STAMP_NAME = ".installed-from-lock"

HOW_TO_GET_NPM = "install Node.js and npm (Debian: `apt-get install -y nodejs npm`)"


class AssetsUnavailable(RuntimeError):
    """The assets cannot be fetched here (no npm, or npm failed); the message says why."""


def lock_hash(lock=LOCK):
    return hashlib.sha256(Path(lock).read_bytes()).hexdigest()


def is_current(modules=MODULES, lock=LOCK):
    """True when ``modules`` was installed by ``ensure`` from exactly this lock file."""
    stamp = Path(modules) / STAMP_NAME
    return stamp.is_file() and stamp.read_text().strip() == lock_hash(lock)


def npm_missing():
    """Why npm cannot be run here (a sentence), or None."""
    if shutil.which("npm") is None:
        return f"no `npm` on PATH; to build the slides and the site, {HOW_TO_GET_NPM}"
    return None


def ensure(folder=ASSETS, log=print):
    """``npm ci`` in ``folder`` unless its node_modules/ matches its package-lock.json; returns node_modules/."""
    folder = Path(folder)
    modules, lock = folder / "node_modules", folder / "package-lock.json"
    if not lock.is_file():
        raise AssetsUnavailable(f"{lock} is missing: it pins the assets (run `npm install` in {folder} once "
                                "and commit the lock file)")
    if is_current(modules, lock):
        return modules
    reason = npm_missing()
    if reason:
        raise AssetsUnavailable(reason)
    log(f"fetching the offline assets: npm ci in {folder}")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=folder,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise AssetsUnavailable(f"`npm ci` failed in {folder} (exit {done.returncode}):\n"
                                + (done.stderr or done.stdout)[-2000:])
    (modules / STAMP_NAME).write_text(lock_hash(lock) + "\n")
    return modules


def _copy(src, dst):
    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise AssetsUnavailable(f"{src} is missing from the installed packages (an edited package-lock.json?)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dst)


def copy_common(modules, dest):
    """require.js, jQuery and the widget manager: both the slides and the site load them."""
    modules, dest = Path(modules), Path(dest)
    _copy(modules / "requirejs" / "require.js", dest / "require.js")
    _copy(modules / "jquery" / "dist" / "jquery.min.js", dest / "jquery.min.js")
    # embed-amd.js and the icon fonts it references, side by side as webpack left them (not the
    # other bundles or the 8 MB source map)
    dist = modules / "@jupyter-widgets" / "html-manager" / "dist"
    _copy(dist / "embed-amd.js", dest / "html-manager" / "embed-amd.js")
    for font in dist.iterdir():
        if font.suffix in (".woff2", ".woff", ".ttf", ".eot", ".svg"):
            _copy(font, dest / "html-manager" / font.name)


# MathJax 2, only what nbconvert's configuration TeX-AMS_CHTML-full loads (70 MB -> about 5)
_MATHJAX2_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
                   "jax/output/CommonHTML", "jax/element", "localization/en", "fonts/HTML-CSS/TeX/woff")


def copy_slides_assets(modules, dest):
    """What a reveal.js deck from nbconvert needs, into ``dest`` (the decks link to it relatively)."""
    modules, dest = Path(modules), Path(dest)
    reveal = modules / "reveal.js"
    _copy(reveal / "dist", dest / "reveal.js" / "dist")
    _copy(reveal / "plugin", dest / "reveal.js" / "plugin")
    for part in _MATHJAX2_PARTS:
        _copy(modules / "mathjax" / part, dest / "mathjax" / part)
    copy_common(modules, dest)
    return dest


def copy_site_assets(modules, dest):
    """What the site needs beyond Sphinx's own files: MathJax 3 (one bundle and its fonts) and the widget scripts."""
    modules, dest = Path(modules), Path(dest)
    es5 = modules / "mathjax3" / "es5"
    _copy(es5 / "tex-chtml-full.js", dest / "mathjax3" / "tex-chtml-full.js")
    _copy(es5 / "output" / "chtml" / "fonts" / "woff-v2", dest / "mathjax3" / "output" / "chtml" / "fonts" / "woff-v2")
    copy_common(modules, dest)
    return dest
