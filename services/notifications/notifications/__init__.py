"""Notifications service: e-mails teachers and partners' contact persons about their courses."""
