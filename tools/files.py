"""Files written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def replaced_atomically(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `path` to write; when the block ends without error it replaces `path` in one step.

    Two processes writing at once (two servers starting) never share a half-written file, and a run killed
    while writing never leaves half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix, delete=False) as tmp:
        try:
            yield tmp
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.chmod(tmp.name, 0o644)  # as a plain write would leave it: other users of a shared cache may read it
    Path(tmp.name).replace(path)
