"""Messaging building blocks: topology, broker, parking of unreadable messages, inbox and outbox."""
