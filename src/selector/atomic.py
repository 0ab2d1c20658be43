"""Every file selector writes is replaced in one step (the one atomic writer).

A file is written under a temporary name beside its target (``.NAME.PID.RANDOM.partial.SUFFIX``),
flushed to disk and then renamed over the target (:func:`os.replace`, atomic on one file
system). A process killed while writing leaves the old file (or none) and at most a
temporary file, which the next write of the same target removes once the process that
made it is gone. A reader never sees half a file.

Proposal files (:func:`selector.io.save_proposals`), the reserve's pool and exports, the
command line's JSON, CSV and plots and the intake's tables go through :func:`replacing` or
:func:`write_atomically` (stdlib only, so the command line can use it without pandas).
Writers must not nest: a write into another's temporary file would leave a temporary file
of a temporary file after a kill.

How the reserve keeps the database and its files together (``docs/reliability-reserve.md``):
the database transaction commits first, the file is written after, and the file is a pure
function of the database and the command's inputs, so running the command again after a
kill writes the same file and records nothing twice.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["clean_stale", "partial_path", "replacing", "write_atomically"]

_PARTIAL = ".partial"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # pragma: no cover - another user's process: alive
        return True
    return True


def clean_stale(target: Path) -> None:
    """Remove temporary files of ``target`` left by processes that no longer run."""
    prefix = f".{target.name}."
    for path in target.parent.glob(f".{target.name}.*{_PARTIAL}{target.suffix}"):
        pid = path.name.removeprefix(prefix).split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - a directory that cannot be opened: skip
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without fsync on directories
        pass
    finally:
        os.close(fd)


def write_atomically(target: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary_path)`` and move the result onto ``target`` in one step.

    ``write`` must write a complete file at the path it is given (which has ``target``'s
    suffix, so writers that choose a format by suffix work). Missing folders are created.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    OSError
        When the folder or the file cannot be written (the target is left as it was).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomically(folder / "a.txt", lambda p: p.write_text("done")).read_text()
    'done'
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    """
    target = Path(target)
    with replacing(target) as temp:
        write(temp)
    return target


def partial_path(target: Path) -> Path:
    """The temporary name of a write of ``target`` by this process:
    ``.NAME.PID.RANDOM.partial.SUFFIX`` beside it (the suffix kept for writers that choose
    a format by it)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}"
                            f"{_PARTIAL}{target.suffix}")


@contextlib.contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target``, flushed and renamed over it when the block
    succeeds and removed when it fails; stale temporary files of ``target`` left by dead
    processes are removed afterwards. Missing folders are created."""
    target = Path(target)
    if target.parent != Path():
        target.parent.mkdir(parents=True, exist_ok=True)
    temp = partial_path(target)
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync(target.parent if target.parent != Path() else Path("."), directory=True)
    clean_stale(target)
