"""The enrolment domain: eligibility and groups, without I/O."""
