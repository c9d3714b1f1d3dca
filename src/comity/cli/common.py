"""Shared CLI helpers: open the node, print JSON, turn errors into plain messages and exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from comity.config import Settings
from comity.errors import ComityError, InvalidInput
from comity.web.container import Container

T = TypeVar("T")

#: Exit codes: 1 = a check failed (verification, invariant), 2 = bad input / unknown id / refused use.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def open_container(*, migrate: bool = True) -> Container:
    """Open this node (settings from the environment); bring its schema up to date first."""
    container = Container.from_settings(Settings())
    if migrate:
        from comity.migrations import upgrade

        upgrade(container.engine)
    return container


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default, ensure_ascii=False) + "\n")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print a plain error message on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn Comity errors into a plain message (with field paths) and a non-zero exit."""
    try:
        yield
    except ComityError as exc:
        lines = [exc.detail]
        if isinstance(exc, InvalidInput):
            lines += [f"  {e.path}: {e.message}" for e in exc.errors]
        code = EXIT_BAD_INPUT if exc.status < 500 else EXIT_FAILED
        fail("\n".join(lines), code)
    except SQLAlchemyError as exc:
        # A database that is unreachable or behind the code's schema: say so plainly, without a traceback.
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"database error: {first_line} (is the node migrated? run `comity db upgrade`)", EXIT_FAILED)


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator form of :func:`cli_errors` for Typer commands."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper
