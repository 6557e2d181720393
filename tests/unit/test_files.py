"""A file is replaced whole or not at all."""

import pytest

from tools.files import replaced_atomically


def test_the_new_file_replaces_the_old_one_when_written(tmp_path):
    path = tmp_path / "cache" / "table.npy"
    with replaced_atomically(path) as out:
        out.write(b"first")
    with replaced_atomically(path) as out:
        out.write(b"second")
    assert path.read_bytes() == b"second" and [p.name for p in path.parent.iterdir()] == ["table.npy"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path):
    path = tmp_path / "table.npy"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), replaced_atomically(path) as out:
        out.write(b"half")
        raise RuntimeError("killed")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["table.npy"]
