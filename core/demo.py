"""Idempotent demo data: one district, one Hebrew-named school, staff, classes and 40 students."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from core.actor import system_actor
from core.audit import record
from core.models import (
    AuditAction,
    Class,
    ClassEnrollment,
    District,
    School,
    Student,
    User,
    UserRole,
)
from core.text import nfc
from core.uow import UnitOfWork

ACADEMIC_YEAR = "2026-2027"
DISTRICT = {"code": "DEMO-DIST", "name": "מחוז הדגמה", "country": "IL"}
# The school speaks Hebrew; each person may choose otherwise (`lang`), and a platform that knows
# the person's language (Telegram, Slack, the terminal's LANG) overrides the school's.
SCHOOL = {"code": "DEMO-01", "name": "בית הספר היסודי „אלון”", "settings": {"language": "he"}}
STAFF = [
    ("admin@demo.school", UserRole.ADMIN, "נועה", "אדמין"),
    ("principal@demo.school", UserRole.PRINCIPAL, "רחל", "מנהלת"),
    ("teacher1@demo.school", UserRole.TEACHER, "דנה", "לוי"),
    ("teacher2@demo.school", UserRole.TEACHER, "Michael", "Green"),
]
# (name, subject, grade, section, teacher email)
CLASSES = [
    ("מתמטיקה ה'1", "מתמטיקה", "5", "1", "teacher1@demo.school"),
    ("עברית ה'1", "עברית", "5", "1", "teacher1@demo.school"),
    ("English 5-2", "English", "5", "2", "teacher2@demo.school"),
    ("Science 5-2", "Science", "5", "2", "teacher2@demo.school"),
]
# (first, last): Hebrew, English, mixed; niqqud, final letters, hyphen and apostrophe.
STUDENTS = [
    ("בן-ציון", "כהן"),
    ("Liam", "O'Brien"),
    ("מִרְיָם", "לֵוִי"),
    ("אברהם", "שמעון"),
    ("יעל", "מזרחי"),
    ("David", "Cohen"),
    ("דוד", "Smith"),
    ("Sarah", "כץ"),
    ("נועם", "פרץ"),
    ("אילן", "ביטון"),
    ("רוּת", "אֶלְבָּז"),
    ("חנה", "אוחיון"),
    ("Emma", "Johnson"),
    ("עומר", "דהן"),
    ("תמר", "אזולאי"),
    ("יוסף", "חדד"),
    ("שירה", "גבאי"),
    ("Noah", "Williams"),
    ("מיכאל", "יוסף"),
    ("אֵלִיָּהוּ", "אברהם"),
    ("ליאור", "עמר"),
    ("Olivia", "Brown"),
    ("אריאל", "בן-דוד"),
    ("מאיה", "שלום"),
    ("José", "García"),
    ("רונן", "מלכה"),
    ("עדן", "טל"),
    ("זיו", "קליין"),
    ("Ethan", "לוי"),
    ("הדס", "נחום"),
    ("איתן", "ברק"),
    ("Mia", "D'Angelo"),
    ("גיא", "פרידמן"),
    ("שני", "רוזן"),
    ("Lucas", "Martin"),
    ("אור", "ויס"),
    ("קרן", "צור"),
    ("ניר", "הלפרן"),
    ("Ava", "Davis"),
    ("שָׁלוֹם", "עזרא"),
]
DROPPED_STUDENT = "S1039"
SHARED_STUDENT = "S1001"


@dataclass(frozen=True)
class DemoSummary:
    """What seed-demo ensured exists (counts of rows present after the run)."""

    district_code: str
    school_code: str
    users: int
    classes: int
    students: int
    enrollments: int


async def _upsert(uow: UnitOfWork, model: Any, values: dict[str, Any], keys: list[str]) -> Any:
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    await uow.session.execute(stmt)
    where = [
        getattr(model, key) == (nfc(v) if isinstance(v := values[key], str) else v) for key in keys
    ]
    return (await uow.session.execute(select(model).where(*where))).scalar_one()


async def seed_demo(*, uow: UnitOfWork) -> DemoSummary:
    """Create the demo school once; running it again changes nothing."""
    # The operator's documented path past row-level security (audited as the system below).
    await uow.act_as(system_actor())
    session = uow.session
    district = await _upsert(uow, District, DISTRICT, ["code"])
    school = await _upsert(uow, School, {**SCHOOL, "district_id": district.id}, ["code"])
    users: dict[str, User] = {}
    for email, role, first, last in STAFF:
        users[email] = await _upsert(
            uow,
            User,
            {
                "email": email,
                "role": role,
                "first_name": first,
                "last_name": last,
                "school_id": school.id,
            },
            ["email"],
        )
    classes: list[Class] = []
    for name, subject, grade, section, teacher in CLASSES:
        found = (
            await session.execute(
                select(Class).where(
                    Class.school_id == school.id,
                    Class.name == nfc(name),
                    Class.academic_year == ACADEMIC_YEAR,
                )
            )
        ).scalar_one_or_none()
        if found is None:
            found = Class(
                name=name,
                subject=subject,
                grade_level=grade,
                section=section,
                teacher_id=users[teacher].id,
                school_id=school.id,
                academic_year=ACADEMIC_YEAR,
            )
            session.add(found)
            await session.flush()
        classes.append(found)
    students: list[Student] = []
    for number, (first, last) in enumerate(STUDENTS):
        students.append(
            await _upsert(
                uow,
                Student,
                {
                    "first_name": first,
                    "last_name": last,
                    "student_id": f"S{1000 + number}",
                    "grade_level": "5",
                    "school_id": school.id,
                },
                ["school_id", "student_id"],
            )
        )
    enrollments = [(s, classes[i % 4]) for i, s in enumerate(students)]
    shared = next(s for s in students if s.student_id == SHARED_STUDENT)
    # The shared student is in teacher1's class already (index 1 -> class 1); add teacher2's.
    enrollments.append((shared, classes[2]))
    for student, klass in enrollments:
        dropped = student.student_id == DROPPED_STUDENT
        stmt = (
            insert(ClassEnrollment)
            .values(
                student_id=student.id,
                class_id=klass.id,
                dropped_at=func.now() if dropped else None,
            )
            .on_conflict_do_nothing(index_elements=["student_id", "class_id"])
        )
        await session.execute(stmt)
    record(
        uow,
        system_actor(),
        AuditAction.CREATE,
        "Demo",
        school.code,
        student_ids=[s.id for s in students],
        seeded=True,
    )
    summary = DemoSummary(
        district_code=district.code,
        school_code=school.code,
        users=len(users),
        classes=len(classes),
        students=len(students),
        enrollments=len(enrollments),
    )
    await uow.commit()
    return summary
