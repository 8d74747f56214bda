"""The page's Python: an asyncio REPL as ``python -m asyncio`` (3.13) behaves, and a script
runner as ``python script.py`` does, both on Pyodide with streamlab's streams installed.

The page drives it: ``await console.push(line)`` per line typed (``True`` while a block
continues), ``console.interrupt()`` for Ctrl-C, ``run_script(source)`` for the editor. Several
playgrounds on one page share one Pyodide: each console and script has its own ``Page`` (its
JavaScript API and its output), which the code it runs and the tasks it starts inherit.
"""

import ast
import asyncio
import code
import contextvars
import inspect
import io
import linecache
import sys
import traceback
import types

import streamlab

BANNER = (
    f"asyncio REPL {sys.version} on {sys.platform}\n"
    'Use "await" directly instead of "asyncio.run()".\n'
    'Type "help", "copyright", "credits" or "license" for more information.\n'
)

class Page:
    """One playground: the JavaScript API its Python talks to (``streamlab.API``) and where
    its stdout and stderr go (``out(text)``, ``err(text)``)."""

    def __init__(self, api=None, out=None, err=None):
        self.api, self.out, self.err = api, out, err

    def enter(self):
        """Makes this the page of the running context; returns what ``leave`` restores."""
        return streamlab.API.set(self.api), _PAGE.set(self)

    @staticmethod
    def leave(tokens):
        streamlab.API.reset(tokens[0])
        _PAGE.reset(tokens[1])


_PAGE = contextvars.ContextVar("streamlab_page", default=None)


class _Output(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr``: the running context's page's, else Pyodide's."""

    def __init__(self, name, fallback):
        self._name, self._fallback = name, fallback

    def write(self, text):
        page = _PAGE.get()
        sink = getattr(page, self._name, None) if page is not None else None
        if sink is None:
            return self._fallback.write(text)
        sink(text)
        return len(text)

    def flush(self):
        self._fallback.flush()


def route_output():
    """Sends each page's output to its own sinks (once, at start)."""
    if not isinstance(sys.stdout, _Output):
        sys.stdout = _Output("out", sys.stdout)
        sys.stderr = _Output("err", sys.stderr)


# Frames of the machinery between the user's code and the error, which CPython's own
# tracebacks do not have here (this module, the streams binding, Pyodide's runner).
_HIDDEN_FILES = (__file__, streamlab.__file__, "/lib/python313.zip/_pyodide/", "/lib/python313.zip/pyodide/")
# asyncio's task and future plumbing, re-raising a task's exception.
_PLUMBING = {"__step", "__step_run_and_handle_result", "__await__", "result", "_run_once", "_run"}


def _shown(frame):
    name = frame.filename
    if name.startswith(_HIDDEN_FILES):
        return False
    if name.endswith(("asyncio/futures.py", "asyncio/tasks.py", "asyncio/events.py")) and frame.name in _PLUMBING:
        return False
    return True


def format_exception(exc):
    """The traceback CPython prints for ``exc``, without the page's own frames."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    _strip(te)
    return "".join(te.format())


def _strip(te, seen=None):
    seen = set() if seen is None else seen
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if _shown(f)])
    for nested in (te.__cause__, te.__context__):
        if nested is not None:
            _strip(nested, seen)


class Console(code.InteractiveConsole):
    """``python -m asyncio``'s console: top-level ``await``, results by ``repr``."""

    def __init__(self, page=None, locals=None):
        if locals is None:
            locals = {"__name__": "__main__", "__builtins__": __builtins__, "asyncio": asyncio}
        super().__init__(locals, filename="<stdin>")
        self.page = page or Page()
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self._ready = None
        self._task = None
        self._interrupted = False

    def runcode(self, code):
        self._ready = code  # run by push(), which can await it

    async def push(self, line):
        """One line typed; ``True`` while the statement continues (the ``... `` prompt)."""
        tokens = self.page.enter()
        try:
            more = super().push(line)
            ready, self._ready = self._ready, None
            if ready is not None:
                await self._run(ready)
            return more
        finally:
            Page.leave(tokens)

    async def _run(self, compiled):
        self._interrupted = False
        func = types.FunctionType(compiled, self.locals)
        try:
            coro = func()
            if inspect.iscoroutine(coro):
                self._task = asyncio.ensure_future(coro)
                await self._task
        except SystemExit:
            self.write("SystemExit is ignored in the page's console\n")
        except BaseException as exc:
            if self._interrupted:
                self.write("\nKeyboardInterrupt\n")
            else:
                self.write(format_exception(exc))
        finally:
            self._task = None

    def interrupt(self):
        """Ctrl-C: cancels the running statement (it ends with ``KeyboardInterrupt``), or drops
        the statement being typed."""
        if self._task is not None and not self._task.done():
            self._interrupted = True
            self._task.cancel()
            return True
        self.resetbuffer()
        self.write("\nKeyboardInterrupt\n")
        return False

    def showsyntaxerror(self, filename=None, **kwargs):
        typ, value, tb = sys.exc_info()
        self.write("".join(traceback.format_exception_only(typ, value)))

    def showtraceback(self):
        typ, value, tb = sys.exc_info()
        self.write(format_exception(value))

    def write(self, data):
        # To this console's page even when called from outside a statement (interrupt()).
        (self.page.err or sys.stderr.write)(data)


def run_script(source, page=None, filename="script.py"):
    """Runs ``source`` as ``python script.py`` would (``asyncio.run(main())`` included):
    in a fresh ``__main__``, an uncaught exception printed as CPython prints it, for ``page``.
    Returns the exit status."""
    tokens = (page or Page()).enter()
    try:
        return _run_script(source, filename)
    finally:
        Page.leave(tokens)


def _run_script(source, filename):
    # Tracebacks quote the script's lines, as they do from a file.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    main = types.ModuleType("__main__")
    main.__file__ = filename
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    saved_argv, sys.argv = sys.argv, [filename]  # as `python script.py` has it
    try:
        exec(compile(source, filename, "exec"), main.__dict__)
        return 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except BaseException as exc:
        sys.stderr.write(format_exception(exc))
        return 1
    finally:
        sys.argv = saved_argv
        sys.stdout.flush()
        sys.stderr.flush()
        if saved is not None:
            sys.modules["__main__"] = saved
