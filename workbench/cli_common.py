"""What every CLI command shares: error handling, the facade, progress bars.

User errors print one line (``error: …``) and exit 1; a usage error (an unknown option or
command, a bad option value, a missing argument, or a file or notebook given as input that is
not there: :class:`~workbench.errors.MissingInput`) prints one line naming the ``--help`` to
read and exits 2; an unexpected failure prints one line too and exits 2 (``WORKBENCH_DEBUG=1``
shows the traceback).
"""

from __future__ import annotations

import functools
import os
import sys

import click

from typing import TYPE_CHECKING

from .errors import MissingInput, WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from .facade import Workbench


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _command_line(ctx: click.Context | None) -> str:
    """``workbench query cycles`` for the context of that command (whatever the program was
    called as: ``python -m workbench`` too)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["workbench", *reversed(names)])


class Group(click.Group):
    """A click group whose mistyped command names the closest ones (``No such command
    'serch'. Did you mean 'search'?``), commands loaded on first use included: every group of
    the command line is one."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = click.utils.make_str(args[0])
        if not ctx.resilient_parsing and not name.startswith("-") and self._unknown(ctx, name):
            from .suggest import did_you_mean

            ctx.fail(f"No such command {name!r}.{did_you_mean(name, self.list_commands(ctx))}")
        return super().resolve_command(ctx, args)

    def _unknown(self, ctx: click.Context, name: str) -> bool:
        if self.get_command(ctx, name) is not None:
            return False
        normalise = ctx.token_normalize_func
        return normalise is None or self.get_command(ctx, normalise(name)) is None


class OneLineErrors(Group):
    """A click group whose usage errors are one line, ``error: <message> (see <cmd> --help)``,
    exit 2, instead of click's usage text and ``Error:`` block; other click errors are one
    ``error:`` line with their own exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `workbench query` alone: its help
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            message = " ".join(exc.format_message().split())
            where = (_command_line(exc.ctx) if exc.ctx is not None
                     else self._named_command(sys.argv[1:] if args is None else list(args)))
            click.echo(f"error: {message} (see {where} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


    def _named_command(self, args: list[str]) -> str:
        """``workbench batch run`` for the command ``args`` name, for the usage errors click
        raises without their command's context (an option missing its value)."""
        names, command = [], self
        ctx = click.Context(self, info_name="workbench")
        for arg in args:
            if not isinstance(command, click.Group):
                break
            found = None if arg.startswith("-") else command.get_command(ctx, arg)
            if found is not None:
                names.append(arg)
                command = found
        return " ".join(["workbench", *names])


class _Words(click.ParamType):
    """Text that says something: blank text is a usage error (exit 2), like a missing one."""

    name = "text"

    def convert(self, value, param, ctx):
        if not str(value).strip():
            self.fail("is empty; write it in words", param, ctx)
        return value


#: The type of a question, a title, a query: anything but blank.
WORDS = _Words()


def handle_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except MissingInput as exc:  # like a missing argument: a usage error
            _fail(f"{exc} (see {_command_line(click.get_current_context(silent=True))} --help)", 2)
        except WorkbenchError as exc:
            _fail(str(exc), 1)
        except KeyboardInterrupt:
            # Stop now, with the conventional status: normal interpreter shutdown would join
            # worker threads and shut down notebook kernels, and a signal arriving during that
            # ends the process by SIGINT instead. Committed work is safe in DuckDB's WAL.
            click.echo("error: interrupted", err=True)
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(130)
        except BrokenPipeError:
            # the reader stopped early (`workbench status | head -3`): stop quietly with 1, as
            # click does for --help; what is still buffered goes nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the CLI never shows raw tracebacks
            if os.environ.get("WORKBENCH_DEBUG"):
                raise
            _fail(f"unexpected {type(exc).__name__}: {exc} (set WORKBENCH_DEBUG=1 for details)", 2)

    return wrapper


def _when(value) -> str:
    """A time as the listings show it (``2026-01-31 10:00:00``), ``-`` for none."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def echo_table(headers: list[str] | None, rows: list[list], **layout) -> None:
    """Print a listing through the one table renderer (:func:`~workbench.text_tables.table_lines`:
    aligned, fitted to the terminal, ids kept whole); ``layout`` goes to it."""
    from .text_tables import table_lines

    for line in table_lines(headers, rows, **layout):
        click.echo(line)


class ProgressBar:
    """Renders job progress on stderr with tqdm."""

    def __init__(self, enabled: bool, unit: str = "file") -> None:
        self.enabled = enabled
        self.unit = unit
        self.bar = None

    def __call__(self, p) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=p.total, unit=self.unit, file=sys.stderr, leave=False,
                            dynamic_ncols=True)
        if p.total is not None and self.bar.total != p.total:
            self.bar.total = p.total
        self.bar.n = p.done
        self.bar.set_description(p.message[:40])
        self.bar.refresh()
        if p.status != "running":
            self.bar.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def open_workbench(ctx: click.Context, *, executor: str | None = None) -> "Workbench":
    """The invocation's one workbench (opening one recovers jobs: not worth doing twice);
    ``executor`` overrides ``WORKBENCH_EXECUTOR`` for it. It is closed when the command ends
    (a local Dask cluster it started stops with it).

    The facade is imported here, not at module top, so ``workbench --help`` and a mistyped
    command never load the services."""
    from .facade import Workbench

    root = ctx.find_root()
    if "workbench" not in root.meta:
        root.meta["workbench"] = wb = Workbench(root.obj, executor=executor)
        root.call_on_close(wb.executor.close)
    return root.meta["workbench"]
