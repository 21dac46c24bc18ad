"""Secrets of the embedded stack, made on first use under the data folder and readable by their owner only.

Production gives each secret through the environment (a Kubernetes Secret); a developer's machine and the
tests get one made here. Services starting together may all get here first: the file is created by one
atomic link, so exactly one secret wins and every process reads that one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from shared.config import PlatformEnvironment


def ensure_secret_file(path: Path, make: Callable[[], str] = lambda: secrets.token_urlsafe(32)) -> str:
    """The text of the secret at `path`, written by `make` (mode 0600) if there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
        candidate.touch(mode=0o600)
        candidate.write_text(make())
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
        candidate.unlink()
    return path.read_text()


def duo_home(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded stack's data folder (DUO_HOME, or .duo under the working directory)."""
    return PlatformEnvironment.from_environ(environ).duo_home.resolve()
