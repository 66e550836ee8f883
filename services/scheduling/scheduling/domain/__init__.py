"""The scheduling domain: weekly slots and planning a course on them, without I/O."""
