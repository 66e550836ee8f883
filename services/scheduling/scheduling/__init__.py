"""Scheduling service: plans each filled group's five weekly sessions in a free slot."""
