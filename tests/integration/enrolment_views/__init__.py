"""Tests of enrolment's read-only views for the coordinator, on the real PostgreSQL."""
