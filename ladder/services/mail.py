"""Email through Flask-Mailman: messages built from templates (templates/email/NAME.txt and
NAME.html), absolute links from LADDER_BASE_URL, and one SMTP connection per batch."""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives

from ..extensions import mail

logger = logging.getLogger(__name__)

# What a mail server that is down, refusing or slow looks like to smtplib.
MAIL_ERRORS = (smtplib.SMTPException, OSError)

NOT_CONFIGURED = "Email is not set up (MAIL_SERVER is empty), so Ladder sends no email."


class MailNotConfigured(RuntimeError):
    """MAIL_SERVER is not set: nothing can be sent."""


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full link to a page of Ladder as people reach it (LADDER_BASE_URL), with or without a request."""
    base = urlsplit(current_app.config["LADDER_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def build_message(to: str, template: str, subject: str, **context: Any) -> EmailMultiAlternatives:
    """A plain-text email with an HTML alternative, both rendered from templates/email/."""
    context = {"subject": subject, **context}
    message = EmailMultiAlternatives(subject=subject, body=render_template(f"email/{template}.txt", **context),
                                     to=[to])
    message.attach_alternative(render_template(f"email/{template}.html", **context), "text/html")
    return message


@contextmanager
def connection() -> Iterator:
    """One open SMTP connection for a batch of messages (raises MAIL_ERRORS if the server is down)."""
    if not mail_configured():
        raise MailNotConfigured(NOT_CONFIGURED)
    conn = mail.get_connection()
    conn.open()
    try:
        yield conn
    finally:
        try:
            conn.close()
        except MAIL_ERRORS:  # the server hung up after taking the messages: they were sent
            logger.warning("closing the SMTP connection failed", exc_info=True)


def send_all(messages: Iterable[EmailMultiAlternatives]) -> int:
    """Send messages over one connection; raises on the first one the server refuses."""
    sent = 0
    with connection() as conn:
        for message in messages:
            message.connection = conn
            sent += message.send()
    return sent
