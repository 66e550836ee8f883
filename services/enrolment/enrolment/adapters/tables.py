"""Enrolment's tables. Only what enrolment needs of a person is stored: no full records.

The group invariants live here, not only in code: a participant holds a numbered seat in a group,
seats are unique per group and never above the group's capacity (a check over a composite
foreign key that copies the capacity), and a person waits for or follows a course only once.

A partner's referral ids and employee references are compared without regard to case
(`lower()`, with indexes on it), so `PRM-1` and `prm-1` are one referral and `E-7` and `e-7` one
person; the columns keep the partner's own spelling, which the answers echo back.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData()

intakes = Table(
    "intakes",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("course_type", String(50), nullable=False, index=True),
    Column("groups_total", Integer, nullable=False),
    Column("groups_used", Integer, nullable=False, server_default="0"),
    Column("from_date", Date, nullable=False),
    Column("locations", JSON, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("groups_used BETWEEN 0 AND groups_total", name="intake_not_overused"),
)

groups = Table(
    "groups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("language_group", String(3), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(20), nullable=False, server_default="formed"),
    Column("intake_id", String(100), nullable=False),
    Column("closed_early", Boolean, nullable=False, server_default="false"),
    Column("formed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("first_session", Date, nullable=True),
    Column("last_session", Date, nullable=True),
    UniqueConstraint("id", "capacity", name="group_capacity_key"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(200), nullable=False),
    Column("partner_id", String(100), nullable=False),
    # NULL once retention reduced an ended referral to what the retake rule needs (revision 0007).
    Column("partner_referral_id", String(100), nullable=True),
    Column("employee_reference", String(100), nullable=False),
    Column("display_name", String(120), nullable=False),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("language_group", String(3), nullable=False),
    Column("preferred_locations", JSON, nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_email", String(320), nullable=False),
    # waiting -> placed -> completed; or withdrawn (before the course) / left (during it)
    Column("status", String(20), nullable=False),
    Column("arrival", BigInteger, Identity(), nullable=False, unique=True),
    Column("group_id", String(36), nullable=True),
    Column("group_capacity", Integer, nullable=True),
    Column("seat", Integer, nullable=True),
    Column("accepted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_on", Date, nullable=True),
    # When the referral was withdrawn or the participant left: retention counts from then.
    Column("ended_at", DateTime(timezone=True), nullable=True),
    # Keyed hash of partner and employee reference (model.person_key): the retake rule's only
    # trace of a person once retention blanked the reference. Null on rows from before 0004.
    Column("person_key", String(64), nullable=True),
    # Where the person lives, as the referral said ('' when it did not): the municipality's numbers
    # count a participant's course events there. Blanked by retention with the other personal fields.
    Column("municipality_of_residence", String(100), nullable=False, server_default=""),
    UniqueConstraint("group_id", "seat", name="one_participant_per_seat"),
    ForeignKeyConstraint(["group_id", "group_capacity"], ["groups.id", "groups.capacity"]),
    CheckConstraint("seat BETWEEN 1 AND group_capacity", name="seat_within_capacity"),
    CheckConstraint("(group_id IS NULL) = (seat IS NULL)", name="seat_with_group"),
    CheckConstraint("status <> 'waiting' OR group_id IS NULL", name="waiting_without_group"),
    CheckConstraint("status <> 'placed' OR group_id IS NOT NULL", name="placed_in_a_group"),
    Index(
        "waiting_lists",
        "course_type",
        "level",
        "language_group",
        "arrival",
        postgresql_where=text("status = 'waiting'"),
    ),
)

history = Table(
    "referral_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("partner_id", String(100), nullable=False),
    Column("partner_referral_id", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("what", String(40), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)

# Erasure requests (AVG art. 17) as the coordinator follows them: who asked, and which of the
# three services have answered with what they erased. Never the person's reference.
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("request_id", String(100), primary_key=True),
    Column("partner_id", String(100), nullable=False),
    # The RabbitMQ user that sent the request, and whom it names as asking (e.g. a case number).
    Column("asked_by", String(100), nullable=False),
    Column("requested_by", String(100), nullable=True),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # `erasing`, or why it was refused (`partner-mismatch`).
    Column("outcome", String(40), nullable=False),
    # service -> what it erased, counted; complete when all three services have answered.
    Column("answers", JSON, nullable=False, default=dict),
    Column("done_at", DateTime(timezone=True), nullable=True),
)

# One referral per partner referral id, in any case.
Index(
    "one_referral_per_partner_id_in_any_case",
    referrals.c.partner_id,
    func.lower(referrals.c.partner_referral_id),
    unique=True,
)
# A person waits for, or follows, the same course only once at a time.
Index(
    "one_active_enrolment_per_course_in_any_case",
    referrals.c.partner_id,
    func.lower(referrals.c.employee_reference),
    referrals.c.course_type,
    referrals.c.level,
    unique=True,
    postgresql_where=text("status IN ('waiting', 'placed')"),
)
Index("completions_of_person", referrals.c.person_key, referrals.c.course_type, referrals.c.level)
Index("history_of_referral_in_any_case", history.c.partner_id, func.lower(history.c.partner_referral_id))


# --- the municipality's numbers (domain/reporting.py): counts and dates, no names or references ---

# One number per day, measure and dimensions; handlers add to it (an upsert that adds). '' where a
# dimension does not apply, '*' in course-level rows for "every municipality" or "every partner".
report_counts = Table(
    "report_counts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("measure", String(50), primary_key=True),
    Column("reason", String(50), primary_key=True),
    Column("municipality", String(100), primary_key=True),
    Column("partner_id", String(100), primary_key=True),
    Column("course_type", String(50), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)

# Who took part, without who: a HyperLogLog sketch of the people's keyed hashes per day and dimension.
report_people = Table(
    "report_people",
    metadata,
    Column("day", Date, primary_key=True),
    Column("municipality", String(100), primary_key=True),
    Column("partner_id", String(100), primary_key=True),
    Column("course_type", String(50), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("sketch", LargeBinary, nullable=False),
)

# A running course's sessions as scheduling last told them: when a course starts, and at its end
# which sessions were held. Deleted when the course completes.
report_sessions = Table(
    "report_sessions",
    metadata,
    Column("group_id", String(36), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("cancelled", Boolean, nullable=False, server_default="false"),
)
