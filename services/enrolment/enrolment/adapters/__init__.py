"""Enrolment adapters: its database tables and repositories."""
