"""Keep a process's memory to what it uses: one glibc malloc arena.

glibc gives each thread that contends for malloc an arena of its own, up to 8 per core, and memory freed in
one arena is not reused by another. A credit turn allocates from the engine's threads and Python's: with
the default, `bankassist ask --customer C0001` peaked at 874 MB; with one arena at 737 MB, in the same
wall time (8.4 s against 8.7 s; 2-core sandbox, 2026-12-05). Generation runs one at a time under the
runtime's lock, so the arenas bought no speed. MALLOC_ARENA_MAX in the environment, read by glibc itself,
wins over this.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Cap glibc's malloc arenas for the rest of the process; False where there is no glibc or it is set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:  # musl, macOS: their allocators have no arenas to cap
        return False
    done = bool(mallopt(M_ARENA_MAX, arenas))
    if not done:
        log.debug("mallopt(M_ARENA_MAX, %d) was refused", arenas)
    return done
