"""Scheduling adapters: its database tables, its repository and the resources file."""
