"""Notifications adapters: the mail outbox table, its repository and the SMTP sender."""
