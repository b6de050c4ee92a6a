"""Reading a compose file and the `.env` beside it: the text and the variables its
interpolation sees (the environment wins over `.env`, as with docker compose)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

from pytest_usbgate.container.compose import read_dotenv


class ComposeUnreadable(OSError):
    """The file cannot be read as text: one line naming it."""


def read_compose(path: Path, environ: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ComposeUnreadable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ComposeUnreadable(f"{path}: is a directory, expected a compose file") from None
    except UnicodeDecodeError as exc:
        raise ComposeUnreadable(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ComposeUnreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    dotenv = path.with_name(".env")
    env: dict[str, str] = {}
    with contextlib.suppress(OSError):  # no .env: the environment alone
        env = read_dotenv(dotenv.read_text(encoding="utf-8", errors="replace"))
    env.update(environ)
    return text, env
