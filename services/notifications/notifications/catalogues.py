"""Every message the mails use, extracted with Babel: for scripts/update_mail_catalogues.py and its test.

Jinja2's extractor reads the templates, Python's the domain code (subjects, calendar words).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

PACKAGE = Path(__file__).resolve().parent
METHODS = [("templates/**.txt", "jinja2"), ("templates/**.html", "jinja2"), ("domain/**.py", "python")]
OPTIONS = {"templates/**": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}


def extracted() -> Catalog:
    """A catalogue of every message the templates and the domain code use, without translations."""
    template = Catalog(project="taalhuis-notifications")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, METHODS, OPTIONS, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template
