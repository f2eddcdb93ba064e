"""The one way ConvCanvas writes a file: all of it or none of it.

Every save (graphs, exports, checkpoints, caches, weights) goes through `write_atomic`, so a
crash, a kill or a full disk leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import tempfile
import time
from pathlib import Path


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write `data` (text is UTF-8) to `path` via a temporary file, fsync and rename.

    The file keeps its permission bits, a symlink keeps pointing where it did (its target is
    replaced), and the temporary file is removed whatever goes wrong.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    _remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode if mode is not None else _default_mode())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


STALE_AFTER_S = 600.0


def _remove_stale_temporaries(target: Path) -> None:
    """Temporary files of earlier writes that were killed before their rename (kill -9, power
    loss) would stay behind forever; no write takes ten minutes, so older ones are orphans."""
    now = time.time()
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > STALE_AFTER_S:
                stale.unlink()


def _default_mode() -> int:
    """What `open()` would have given a new file: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
