"""The notifications domain: what the e-mails about a course say, without I/O."""
