"""A real SMTP server (aiosmtpd) on a free loopback port, for tests that send email.

Import the fixture into a test module (`from .smtp import smtp_fixture  # noqa: F401`) and ask for `smtp`; it points the
app's mail settings at the server. `stop()` and `start()` take it down and bring it back on the
same port, as a mail server that goes away for a while.
"""
from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from ladder.extensions import mail


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("html",)).get_content()

    @classmethod
    def link(cls, message: EmailMessage) -> str:
        """The first link into Ladder in the message's text, as a path."""
        return re.search(r"http://ladder\.test(/\S+)", cls.text(message)).group(1)


@pytest.fixture(name="smtp")
def smtp_fixture(app):
    server = SmtpServer()
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, LADDER_BASE_URL="http://ladder.test",
                      MAIL_DEFAULT_SENDER="Ladder <ladder@example.com>")
    mail.init_app(app)
    yield server
    server.stop()
