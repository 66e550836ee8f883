"""A DATABASE_URL is checked before connecting, and what is wrong is said in one Dutch line."""

from __future__ import annotations

from taalhuis_shared.db import database_url_problem, unreadable


def test_a_usable_url_has_no_problem_and_a_wrong_one_is_named_without_its_password() -> None:
    assert database_url_problem("postgresql+asyncpg://postgres:geheim@127.0.0.1:5432/enrolment") is None
    problems = {
        None: "DATABASE_URL ontbreekt.",
        "": "DATABASE_URL ontbreekt.",
        "enrolment": "DATABASE_URL klopt niet",
        "postgresql://postgres:geheim@127.0.0.1/enrolment": "DATABASE_URL moet beginnen met postgresql+asyncpg://",
        "postgresql+asyncpg://postgres:geheim@127.0.0.1": "DATABASE_URL noemt geen database",
    }
    for url, start in problems.items():
        problem = database_url_problem(url)
        assert problem is not None and problem.startswith(start), (url, problem)
        assert "geheim" not in problem and "\n" not in problem


def test_a_database_error_is_said_in_its_first_line() -> None:
    error = ConnectionRefusedError(111, "Connect call failed")
    assert unreadable(error) == "De database is niet te lezen: [Errno 111] Connect call failed"
    assert unreadable(RuntimeError("eerste regel\ntweede")) == "De database is niet te lezen: eerste regel"
