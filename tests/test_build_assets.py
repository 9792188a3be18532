"""tools.assets: the offline scripts are pinned by a committed lock, fetched with `npm ci` only when
node_modules/ is missing or was installed from another lock, and never committed."""
import json
import subprocess
from pathlib import Path

import pytest

import course_build  # noqa: F401  (puts the repository on sys.path for `tools`)
from tools import assets

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "package.json").write_text('{"dependencies": {"jquery": "3.7.1"}}')
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3}')
    return tmp_path


def fake_npm(calls, returncode=0, stderr=""):
    def run(cmd, cwd, **kwargs):
        calls.append((cmd, Path(cwd)))
        if returncode == 0:
            (Path(cwd) / "node_modules").mkdir(exist_ok=True)
        return subprocess.CompletedProcess(cmd, returncode, stdout="", stderr=stderr)
    return run


def test_ensure_runs_npm_ci_once_and_stamps_the_lock(folder, monkeypatch):
    calls = []
    monkeypatch.setattr(assets.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(assets.subprocess, "run", fake_npm(calls))
    modules = assets.ensure(folder, log=lambda *a: None)
    assert modules == folder / "node_modules"
    assert calls == [(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], folder)]
    assert assets.is_current(modules, folder / "package-lock.json")
    assets.ensure(folder, log=lambda *a: None)            # current: npm is not run again
    assert len(calls) == 1


def test_an_edited_lock_reinstalls(folder, monkeypatch):
    calls = []
    monkeypatch.setattr(assets.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(assets.subprocess, "run", fake_npm(calls))
    assets.ensure(folder, log=lambda *a: None)
    (folder / "package-lock.json").write_text('{"lockfileVersion": 3, "bumped": true}')
    assert not assets.is_current(folder / "node_modules", folder / "package-lock.json")
    assets.ensure(folder, log=lambda *a: None)
    assert len(calls) == 2


def test_a_node_modules_from_a_plain_npm_install_is_not_trusted(folder, monkeypatch):
    (folder / "node_modules").mkdir()                     # no stamp: who knows which lock made it
    assert not assets.is_current(folder / "node_modules", folder / "package-lock.json")


def test_no_npm_says_how_to_get_it(folder, monkeypatch):
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetsUnavailable, match=r"no `npm` on PATH.*apt-get install -y nodejs npm"):
        assets.ensure(folder, log=lambda *a: None)


def test_a_failing_npm_ci_shows_its_error(folder, monkeypatch):
    monkeypatch.setattr(assets.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(assets.subprocess, "run", fake_npm([], returncode=1, stderr="npm ERR! 404 Not Found"))
    with pytest.raises(assets.AssetsUnavailable, match=r"(?s)npm ci.*exit 1.*404 Not Found"):
        assets.ensure(folder, log=lambda *a: None)
    assert not (folder / "node_modules" / assets.STAMP_NAME).exists()


def test_a_missing_lock_is_an_error_not_an_unpinned_install(tmp_path):
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(assets.AssetsUnavailable, match="package-lock.json is missing"):
        assets.ensure(tmp_path, log=lambda *a: None)


def test_the_committed_lock_pins_exactly_what_package_json_asks():
    wanted = json.loads((assets.ASSETS / "package.json").read_text())["dependencies"]
    lock = json.loads(assets.LOCK.read_text())
    assert lock["packages"][""]["dependencies"] == wanted
    for name, spec in wanted.items():
        version = spec.rsplit("@", 1)[-1]                  # "npm:mathjax@3.2.2" -> "3.2.2"
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version, name
        assert entry["integrity"].startswith("sha512-"), name       # npm ci checks every tarball against it
    for name in ("reveal.js", "mathjax", "requirejs", "jquery", "@jupyter-widgets/html-manager"):
        assert name in wanted
    assert wanted["reveal.js"].startswith("4.") and wanted["mathjax"].startswith("2.")


def test_the_packages_are_never_committed():
    for path in ("tools/assets/node_modules/jquery/package.json", "_build/site/index.html"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0, path
    tracked = subprocess.run(["git", "ls-files", "tools/assets"], cwd=REPO, capture_output=True, text=True).stdout
    assert sorted(tracked.split()) == ["tools/assets/package-lock.json", "tools/assets/package.json"]


def test_copies_put_each_script_where_the_pages_look(tmp_path):
    if not assets.is_current():
        pytest.skip("tools/assets/node_modules is not installed (the site tests install it)")
    slides = assets.copy_slides_assets(assets.MODULES, tmp_path / "slides")
    for part in ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js", "reveal.js/dist/theme/white.css",
                 "mathjax/MathJax.js", "mathjax/config/TeX-AMS_CHTML-full.js", "mathjax/config/Safe.js",
                 "require.js", "jquery.min.js", "html-manager/embed-amd.js"):
        assert (slides / part).is_file(), part
    site = assets.copy_site_assets(assets.MODULES, tmp_path / "site")
    for part in ("mathjax3/tex-chtml-full.js", "require.js", "html-manager/embed-amd.js"):
        assert (site / part).is_file(), part
    assert list((site / "mathjax3" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))


def test_without_npm_the_build_tests_skip_saying_why_and_fail_under_ci(monkeypatch):
    monkeypatch.setattr(assets, "is_current", lambda *a: False)
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no `npm` on PATH.*apt-get install -y nodejs npm"):
        course_build.require_build_tools()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI=true: the slides and site builds must run, but no `npm`"):
        course_build.require_build_tools()


def test_with_the_assets_installed_npm_is_not_needed(monkeypatch):
    monkeypatch.setattr(assets, "is_current", lambda *a: True)
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    course_build.require_build_tools()                       # neither skips nor fails
