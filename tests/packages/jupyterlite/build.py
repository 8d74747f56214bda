#!/usr/bin/env python3
"""Builds an offline JupyterLite 0.8.6 site whose Pyodide kernel uses a local Pyodide 314.0.6.

    python3 build.py --out SITE_DIR --pyodide PYODIDE_DIR --wheel WHEEL [--tools TOOLS_DIR]

PYODIDE_DIR is npm's ``pyodide@314.0.6`` (e.g. node_modules/pyodide-314; it is copied, never
changed). WHEEL is a pure-Python wheel (``NAME-VERSION-py3-none-any.whl``) that the kernel can
then install by name with ``%pip install NAME`` (or ``await piplite.install("NAME")``).

Only the package registries are needed, and only while TOOLS_DIR is not filled yet:

* TOOLS_DIR/venv: jupyterlite-core and jupyterlite-pyodide-kernel (pinned below), installed from
  wheels cached in TOOLS_DIR/wheels/build (PyPI only for what is not there);
* TOOLS_DIR/wheels/lock: the pure-Python wheels of every package of Pyodide's lock that the kernel
  loads (micropip, ipython, jedi and their lock dependencies), at the lock's versions, from PyPI;
* TOOLS_DIR/wheels/piplite: the kernel's own dependencies that are not in the lock (comm).

The site: npm's Pyodide core in static/pyodide/ with those lock wheels beside it and the copied
pyodide-lock.json's sha256 of each set to the PyPI wheel's (Pyodide's own builds of these wheels,
on its CDN only, have other hashes); comm and WHEEL in pypi/ (the piplite index); the PyPI
fallback off; the REPL without a notebook-only plugin that fails to activate there. The
``jupyter lite build`` itself runs with every proxy variable pointing at a closed loopback port,
so it cannot reach the network.

Fails, saying what is missing, on any missing piece. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

#: the JupyterLite build tools; jupyterlite-pyodide-kernel 0.8.7 needs jupyterlite-core>=0.8.7,
#: so 0.8.6 is the newest kernel for core 0.8.6 (it asks for core >=0.8.3,<0.9.0)
BUILD_PINS = [
    "jupyterlite-core==0.8.6",
    "jupyterlite-pyodide-kernel==0.8.6",
    # their dependencies, as resolved on 2026-12-07 (Python 3.13)
    "doit==0.37.0",
    "jupyter-core==5.9.1",
    "pkginfo==2.0",
    "platformdirs==4.14.9",
    "traitlets==5.16.1",
]

#: the Pyodide version jupyterlite-pyodide-kernel 0.8.6 is made for (its constants.PYODIDE_VERSION)
PYODIDE_VERSION = "314.0.6"
#: the Python of that Pyodide, for ``pip download --python-version``
PYODIDE_PYTHON = "3.14"

#: what the kernel's worker installs at start (initKernel in its comlink.worker.js), after micropip
KERNEL_PACKAGES = ["ipykernel", "comm", "pyodide-kernel", "jedi", "ipython"]

#: the kernel's dependencies found neither in Pyodide's lock nor in the kernel's own wheels
PIPLITE_PINS = ["comm==0.2.3"]

#: a plugin of the REPL app that needs a notebook tracker the REPL has not, and so logs
#: "Plugin '@jupyterlab/codemirror-extension:commands' failed to activate" (upstream issue)
REPL_DISABLED = ["@jupyterlab/codemirror-extension:commands"]

KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]


class Fail(Exception):
    """A missing piece: the message says which and what to do."""


def log(msg: str) -> None:
    print(f"[jupyterlite] {msg}", flush=True)


def run(cmd: list[str], what: str, env: dict | None = None, cwd: Path | None = None, quiet: bool = True) -> str:
    """Runs cmd; on failure raises Fail with its output."""
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise Fail(f"{what} failed (exit {proc.returncode}):\n  $ {' '.join(cmd)}\n{proc.stdout}")
    if not quiet:
        print(proc.stdout, end="")
    return proc.stdout


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_metadata(path: Path) -> dict:
    """Name, version and unconditional requirements of a wheel; fails on a broken one."""
    if not path.name.endswith(".whl"):
        raise Fail(f"{path} is not a wheel (*.whl)")
    try:
        with zipfile.ZipFile(path) as z:
            metas = [n for n in z.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if len(metas) != 1:
                raise Fail(f"{path}: expected one *.dist-info/METADATA, found {metas}")
            text = z.read(metas[0]).decode("utf-8")
    except zipfile.BadZipFile as e:
        raise Fail(f"{path} is not a zip file: {e}") from None
    headers = {}
    requires = []
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Requires-Dist":
            if "extra ==" not in value.replace("extra==", "extra =="):
                requires.append(norm(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", value).group(0)))
        elif key in ("Name", "Version"):
            headers[key] = value
    if "Name" not in headers or "Version" not in headers:
        raise Fail(f"{path}: METADATA has no Name or Version")
    return {"name": norm(headers["Name"]), "version": headers["Version"], "requires": requires}


# ---------------------------------------------------------------------------------------------
# inputs


def check_pyodide(pyodide: Path) -> dict:
    missing = [f for f in PYODIDE_FILES if not (pyodide / f).is_file()]
    if missing:
        raise Fail(f"{pyodide} is not a Pyodide distribution: missing {', '.join(missing)} (npm install pyodide@{PYODIDE_VERSION})")
    pkg = pyodide / "package.json"
    version = json.loads(pkg.read_text())["version"] if pkg.is_file() else None
    if version != PYODIDE_VERSION:
        raise Fail(f"{pyodide} is Pyodide {version}; jupyterlite-pyodide-kernel 0.8.6 needs {PYODIDE_VERSION} (npm install pyodide@{PYODIDE_VERSION})")
    return json.loads((pyodide / "pyodide-lock.json").read_text())


def lock_closure(lock: dict) -> list[dict]:
    """The lock's packages the kernel loads from Pyodide: micropip, then those of
    KERNEL_PACKAGES that the lock has, with their lock dependencies."""
    packages = {norm(k): v for k, v in lock["packages"].items()}
    seen: dict[str, dict] = {}

    def walk(name: str, why: str) -> None:
        name = norm(name)
        if name in seen:
            return
        if name not in packages:
            raise Fail(f"pyodide-lock.json: {why} depends on {name}, which the lock does not list")
        seen[name] = packages[name]
        for dep in packages[name]["depends"]:
            walk(dep, name)

    walk("micropip", "the kernel")
    for name in KERNEL_PACKAGES:
        if norm(name) in packages:
            walk(name, "the kernel")
    for name, p in seen.items():
        if p.get("package_type", "package") != "package" or not p["file_name"].endswith("-none-any.whl"):
            raise Fail(
                f"pyodide-lock.json: {name} is {p['file_name']} ({p.get('package_type')}), not a pure-Python "
                "wheel: only Pyodide's own distribution has it, PyPI does not"
            )
    return sorted(seen.values(), key=lambda p: p["name"])


# ---------------------------------------------------------------------------------------------
# tools


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(tools: Path, python: str) -> Path:
    venv = tools / "venv"
    stamp = venv / "streamlab-pins.txt"
    want = "\n".join(BUILD_PINS) + "\n"
    if stamp.is_file() and stamp.read_text() == want and venv_python(venv).is_file():
        log(f"tools: reusing {venv}")
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    log(f"tools: creating {venv} with {python}")
    run([python, "-m", "venv", str(venv)], f"creating a venv with {python}")
    py = str(venv_python(venv))
    wheels = tools / "wheels" / "build"
    wheels.mkdir(parents=True, exist_ok=True)
    offline = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--find-links", str(wheels), *BUILD_PINS]
    proc = subprocess.run(offline, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        log(f"tools: downloading {', '.join(BUILD_PINS[:2])} and dependencies from PyPI into {wheels}")
        run([py, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:", "-d", str(wheels), *BUILD_PINS],
            "pip download of the build tools (is PyPI reachable?)")
        run(offline, "pip install of the build tools from the cached wheels")
    stamp.write_text(want)
    return venv


def fetch_wheels(venv: Path, dest: Path, specs: list[str], expect: dict[str, str]) -> dict[str, Path]:
    """Wheels for Pyodide (Python 3.14, pure) for specs, cached in dest; expect maps each
    spec to the file name it must have. Returns spec -> path."""
    dest.mkdir(parents=True, exist_ok=True)
    missing = [s for s in specs if not (dest / expect[s]).is_file()]
    if missing:
        log(f"wheels: downloading {len(missing)} from PyPI into {dest}: {' '.join(missing)}")
        run([str(venv_python(venv)), "-m", "pip", "download", "-q", "--disable-pip-version-check",
             "--python-version", PYODIDE_PYTHON, "--only-binary=:all:", "--no-deps", "-d", str(dest), *missing],
            "pip download of the kernel's wheels (is PyPI reachable?)")
    out = {}
    for s in specs:
        path = dest / expect[s]
        if not path.is_file():
            found = sorted(p.name for p in dest.glob(f"{expect[s].split('-')[0]}-*.whl"))
            raise Fail(f"PyPI gave no {expect[s]} for {s} (found: {found or 'nothing'}); Pyodide's lock needs exactly that file")
        out[s] = path
    return out


def pip_wheel_name(spec: str) -> str:
    name, version = spec.split("==")
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


# ---------------------------------------------------------------------------------------------
# the site


def build(args) -> None:
    t0 = time.monotonic()
    out = Path(args.out).resolve()
    pyodide = Path(args.pyodide).resolve()
    wheel = Path(args.wheel).resolve()
    tools = Path(args.tools).resolve()

    if not wheel.is_file():
        raise Fail(f"--wheel {wheel}: no such file")
    if not wheel.name.endswith("-py3-none-any.whl"):
        raise Fail(f"--wheel {wheel.name}: must be a pure-Python wheel, NAME-VERSION-py3-none-any.whl")
    user = wheel_metadata(wheel)
    if not pyodide.is_dir():
        raise Fail(f"--pyodide {pyodide}: no such folder (npm install pyodide@{PYODIDE_VERSION})")
    lock = check_pyodide(pyodide)
    if out.exists() and any(out.iterdir()) and not (out / "jupyter-lite.json").is_file():
        raise Fail(f"--out {out} exists, is not empty and is not a JupyterLite site: not overwriting it")
    tools.mkdir(parents=True, exist_ok=True)

    venv = ensure_venv(tools, args.python)
    t_tools = time.monotonic()

    # the lock's wheels, from PyPI, under the lock's own file names
    closure = lock_closure(lock)
    lock_specs = [f"{p['name']}=={p['version']}" for p in closure]
    lock_wheels = fetch_wheels(venv, tools / "wheels" / "lock", lock_specs,
                               {f"{p['name']}=={p['version']}": p["file_name"] for p in closure})
    piplite_wheels = fetch_wheels(venv, tools / "wheels" / "piplite", PIPLITE_PINS,
                                  {s: pip_wheel_name(s) for s in PIPLITE_PINS})
    t_wheels = time.monotonic()

    # every requirement the kernel and WHEEL bring must be in the site
    ext_pypi = venv / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi"
    if not ext_pypi.is_dir():
        raise Fail(f"{ext_pypi} is missing: jupyterlite-pyodide-kernel is not installed right in {venv} (delete it)")
    available = {norm(k) for k in lock["packages"]}
    metas = {}
    for w in [*ext_pypi.glob("*.whl"), *piplite_wheels.values(), wheel]:
        metas[w] = wheel_metadata(w)
        available.add(metas[w]["name"])
    for w, m in metas.items():
        if m["name"] == "widgetsnbextension":
            continue
        missing = [r for r in m["requires"] if r not in available]
        if missing:
            raise Fail(f"{w.name} requires {', '.join(missing)}, which the site would not have (add to PIPLITE_PINS)")

    # the JupyterLite project folder
    work = tools / "work"
    work.mkdir(exist_ok=True)
    lite = Path(tempfile.mkdtemp(prefix="lite-", dir=work))
    try:
        static = lite / "static" / "pyodide"
        shutil.copytree(pyodide, static, ignore=shutil.ignore_patterns("node_modules"))
        lock_json = json.loads((static / "pyodide-lock.json").read_text())
        for p in closure:
            src = lock_wheels[f"{p['name']}=={p['version']}"]
            shutil.copy2(src, static / p["file_name"])
            key = next(k for k in lock_json["packages"] if norm(k) == norm(p["name"]))
            lock_json["packages"][key]["sha256"] = sha256(src)
        (static / "pyodide-lock.json").write_text(json.dumps(lock_json))

        pypi = lite / "pypi"
        pypi.mkdir()
        for w in [*piplite_wheels.values(), wheel]:
            shutil.copy2(w, pypi / w.name)

        (lite / "jupyter-lite.json").write_text(json.dumps({
            "jupyter-lite-schema-version": 0,
            "jupyter-config-data": {"litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}}},
        }, indent=2))
        (lite / "repl").mkdir()
        (lite / "repl" / "jupyter-lite.json").write_text(json.dumps({
            "jupyter-lite-schema-version": 0,
            "jupyter-config-data": {"disabledExtensions": REPL_DISABLED},
        }, indent=2))

        if out.exists():
            shutil.rmtree(out)
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("JUPYTERLITE_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"))}
        closed = "http://127.0.0.1:9"  # nothing listens there: a fetch would fail, loudly
        env.update(http_proxy=closed, https_proxy=closed, HTTP_PROXY=closed, HTTPS_PROXY=closed, no_proxy="", NO_PROXY="")
        cmd = [str(venv / "bin" / "jupyter"), "lite", "build", "--lite-dir", str(lite), "--output-dir", str(out)]
        log(f"build: {' '.join(cmd)}")
        t_b = time.monotonic()
        run(cmd, "jupyter lite build", env=env, cwd=lite)
        t_build = time.monotonic() - t_b
    finally:
        shutil.rmtree(lite, ignore_errors=True)

    check_site(out, closure, user, wheel)
    log(
        f"done: {out} (tools {t_tools - t0:.1f} s, wheels {t_wheels - t_tools:.1f} s, "
        f"jupyter lite build {t_build:.1f} s, total {time.monotonic() - t0:.1f} s)"
    )
    log(f"serve it on loopback, e.g.: python3 -m http.server --bind 127.0.0.1 --directory {out} 8000")
    log(f"then in the REPL: %pip install {user['name']}")


def check_site(out: Path, closure: list[dict], user: dict, wheel: Path) -> None:
    """Fails unless the built site has what the kernel will ask for."""
    problems = []
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
    if settings.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        problems.append(f"pyodideUrl is {settings.get('pyodideUrl')!r}, not the local ./static/pyodide/pyodide.mjs")
    if settings.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not true")
    urls = settings.get("pipliteUrls", [])
    if not any(u.startswith("./pypi/all.json") for u in urls):
        problems.append(f"pipliteUrls {urls} lacks ./pypi/all.json")
    for u in urls:
        if not u.startswith("./"):
            problems.append(f"pipliteUrls has a non-local URL {u}")
    index = out / "pypi" / "all.json"
    if not index.is_file() or user["name"] not in json.loads(index.read_text()):
        problems.append(f"{index} does not list {user['name']}")
    if not (out / "pypi" / wheel.name).is_file():
        problems.append(f"pypi/{wheel.name} is missing")
    static = out / "static" / "pyodide"
    for f in PYODIDE_FILES:
        if not (static / f).is_file():
            problems.append(f"static/pyodide/{f} is missing")
    lock = json.loads((static / "pyodide-lock.json").read_text())["packages"]
    for p in closure:
        f = static / p["file_name"]
        entry = next(v for k, v in lock.items() if norm(k) == norm(p["name"]))
        if not f.is_file():
            problems.append(f"static/pyodide/{p['file_name']} is missing")
        elif sha256(f) != entry["sha256"]:
            problems.append(f"static/pyodide/{p['file_name']}: sha256 differs from the site's pyodide-lock.json")
    if not (out / "repl" / "index.html").is_file():
        problems.append("repl/index.html is missing")
    if problems:
        raise Fail("the built site is incomplete:\n  " + "\n  ".join(problems))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the site folder to (re)create")
    parser.add_argument("--pyodide", required=True, help=f"npm's pyodide@{PYODIDE_VERSION} folder (copied, not changed)")
    parser.add_argument("--wheel", required=True, help="a NAME-VERSION-py3-none-any.whl for the kernel")
    parser.add_argument("--tools", default=os.path.join(tempfile.gettempdir(), "streamlab-jupyterlite-tools"),
                        help="venv and wheel cache (default: %(default)s)")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python (>= 3.10) for the tools' venv (default: this one, %(default)s)")
    args = parser.parse_args()
    try:
        build(args)
    except Fail as e:
        print(f"build.py: FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
