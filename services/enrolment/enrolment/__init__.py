"""Enrolment service: checks partners' referrals and forms course groups of at most five."""
