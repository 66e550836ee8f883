"""Notifications use cases: what happens when an event arrives."""
