"""The scheduling domain, without I/O: the planner, and courses, sessions and measures."""
