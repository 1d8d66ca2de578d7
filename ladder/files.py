"""Files and folders that hold people's data: readable by their owner only, whatever the umask."""
from __future__ import annotations

import os
from pathlib import Path
from typing import IO

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700


def open_private(path: str | os.PathLike, *, encoding: str = "utf-8") -> IO[str]:
    """Open `path` to write text, created (or emptied) with mode 0600. An existing file is narrowed
    to 0600 too: an export overwriting an old world-readable one must not stay readable."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE)
    try:
        os.fchmod(descriptor, OWNER_ONLY_FILE)
        return os.fdopen(descriptor, "w", encoding=encoding)
    except BaseException:
        os.close(descriptor)
        raise


def create_private_file(path: str | os.PathLike) -> None:
    """Create an empty file with mode 0600 unless it exists (SQLite takes an empty file as a new
    database and gives its journal the database file's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE))
    except FileExistsError:
        pass


def make_private_folder(path: str | os.PathLike) -> None:
    """Create the folder (and its parents) with mode 0700 when it does not exist yet."""
    folder = Path(path)
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_FOLDER)
        os.chmod(folder, OWNER_ONLY_FOLDER)  # mkdir's mode is filtered by the umask
