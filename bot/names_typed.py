"""Whether a name was typed as a student's name is written: the person meant that student, or
the search guessed (a typo, a name read across scripts, a part of a word) and the bot asks."""

from __future__ import annotations

import unicodedata

from core.views import StudentView

# Apostrophes as keyboards write them (phones type ’ for '), and the geresh: "O’Brien",
# "O'Brien" and "OBrien" are the same name as typed.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`׳"))


def _words(text: str) -> list[str]:
    # Niqqud and accents are marks: "אֵלִיָּהוּ" is read as "אליהו", "José" as "jose".
    plain = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )
    return plain.translate(_APOSTROPHES).casefold().replace("-", " ").split()


def named_as_typed(query: str, student: StudentView) -> bool:
    """`query` names `student` as written (each word the start of a word of the name, or the
    school number): a typo or a name read across scripts ("Sarah" for שירה) is a guess."""
    if student.student_id and query.strip() == student.student_id:
        return True
    return name_as_typed(query, student.full_name)


def picked_by_name(query: str, names: list[str]) -> int | None:
    """The index of the one name among `names` that `query` names as written, else None."""
    picked = [i for i, name in enumerate(names) if query.strip() and name_as_typed(query, name)]
    return picked[0] if len(picked) == 1 else None


def name_as_typed(query: str, full_name: str) -> bool:
    """`query` names `full_name` as written: each word the start of a word of the name, or of
    words of it run together ("BenZion" for Ben-Zion: a hyphen is typed, a space or neither)."""
    name = _words(full_name)
    runs = ["".join(name[at:]) for at in range(len(name))]
    return all(any(run.startswith(word) for run in runs) for word in _words(query))


def named_exactly(query: str, student: StudentView) -> bool:
    """`query` is `student`'s name in whole words (a first name, a last name, both, or the
    school number): "Noa" for Noah is a part of a word, a guess to ask about before an
    interview starts, as "נועה" for Noah is."""
    if student.student_id and query.strip() == student.student_id:
        return True
    name = _words(student.full_name)
    # Words run together count as typed whole ("BenZion" for Ben-Zion).
    whole = {
        "".join(name[at:end]) for at in range(len(name)) for end in range(at + 1, len(name) + 1)
    }
    typed = _words(query)
    return bool(typed) and all(word in whole for word in typed)
