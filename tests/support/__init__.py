"""Test support: real broker and database per test run, event taps, service processes, SMTP."""
