import platform

import pytest

from ui.process_memory import limit_malloc_arenas


def test_an_arena_limit_in_the_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc has malloc arenas to cap")
def test_glibc_takes_the_arena_limit(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas(8) is True  # glibc's own default on this machine's core count: harmless here
