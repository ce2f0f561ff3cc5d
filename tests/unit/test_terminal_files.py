"""Files the terminal saves: one folder per user, a new name each time, never overwritten."""

from __future__ import annotations

from pathlib import Path

from adapters.shell import save_attachments, user_folder
from bot.events import Attachment, Reply


def export(content: bytes, name: str = "analyses-school-all.csv") -> Reply:
    """A reply carrying one CSV, as `export analyses` sends it."""
    return Reply("Here is the export", attachments=(Attachment(name, content, "text/csv"),))


def test_each_user_has_a_folder_of_their_own(tmp_path: Path) -> None:
    one = user_folder(tmp_path, "Teacher1@demo.school")
    two = user_folder(tmp_path, "teacher2@demo.school")
    assert one == tmp_path / "teacher1@demo.school" and two == tmp_path / "teacher2@demo.school"
    for odd in ("../../etc", "a/b@x.org", "..", ""):
        folder = user_folder(tmp_path, odd)
        assert folder.parent == tmp_path and folder.name not in ("", ".", ".."), odd


def test_the_same_file_saved_twice_keeps_both(tmp_path: Path) -> None:
    [first] = save_attachments(export(b"first"), tmp_path)
    [second] = save_attachments(export(b"second"), tmp_path)
    assert first != second
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")
    assert first.name.startswith("analyses-school-all-") and first.suffix == ".csv"


def test_a_file_already_there_is_never_overwritten(tmp_path: Path) -> None:
    # Before: teacher2's `export analyses` replaced teacher1's file of the same name.
    saved = [save_attachments(export(bytes([n])), tmp_path)[0] for n in range(5)]
    assert len(set(saved)) == 5
    assert [p.read_bytes() for p in saved] == [bytes([n]) for n in range(5)]


def test_two_users_exporting_the_same_thing_get_their_own_files(tmp_path: Path) -> None:
    one = save_attachments(export(b"teacher1's rows"), user_folder(tmp_path, "t1@x.org"))[0]
    two = save_attachments(export(b"teacher2's rows"), user_folder(tmp_path, "t2@x.org"))[0]
    assert one.parent != two.parent
    assert one.read_bytes() == b"teacher1's rows" and two.read_bytes() == b"teacher2's rows"
