"""The one atomic writer: all or nothing, and the file stays the file it was."""

import errno
import os
import time

import pytest

import builder.atomic as atomic
from builder import write_atomic


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.json", "{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("old")
    path.chmod(0o664)
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o664


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "real" / "net.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "net.json"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    path.write_text("old")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_temporaries_of_killed_writes_are_cleared_by_the_next_write(tmp_path):
    path = tmp_path / "a.json"
    orphan = tmp_path / ".a.json.x1y2.tmp"  # what a write killed before its rename leaves
    orphan.write_text("half")
    recent = tmp_path / ".a.json.z3w4.tmp"  # maybe another process writing right now
    recent.write_text("in flight")
    old = time.time() - atomic.STALE_AFTER_S - 60
    os.utime(orphan, (old, old))
    write_atomic(path, "new")
    assert not orphan.exists()
    assert recent.exists()
