"""`ladder notify`: the job cron or a systemd timer runs every few minutes.

It writes the due and overdue reminders of the day, then emails what is waiting, committing
after each batch so that a claimed row is locked only while it is being sent. Two runs at the
same moment share the work (PostgreSQL: FOR UPDATE SKIP LOCKED) and never send one email twice.
"""
from __future__ import annotations

from dataclasses import dataclass

import click
from flask.cli import with_appcontext

from .. import clock
from ..extensions import db
from ..services import mail
from ..services import notifications as service

BATCH = 50


@dataclass
class NotifyReport:
    reminders: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0
    mail_configured: bool = True

    def lines(self) -> list[str]:
        lines = [f"{self.reminders} new reminder{'s' if self.reminders != 1 else ''}."]
        if not self.mail_configured:
            lines.append(f"{mail.NOT_CONFIGURED} {self.waiting} email{'s' if self.waiting != 1 else ''} "
                         "wait in the outbox (admin: Outbox); nothing was sent.")
            return lines
        lines.append(f"{self.sent} email{'s' if self.sent != 1 else ''} sent, {self.failed} to retry later, "
                     f"{self.skipped} not wanted (email turned off).")
        if self.waiting:
            lines.append(f"{self.waiting} email{'s' if self.waiting != 1 else ''} still waiting.")
        return lines


def run_notify() -> NotifyReport:
    """Write today's reminders, then send every email that is due; safe to run concurrently."""
    report = NotifyReport(mail_configured=mail.mail_configured())
    report.reminders = service.create_due_reminders(clock.today())
    db.session.commit()
    if report.mail_configured:
        report.skipped = service.skip_unwanted()
        db.session.commit()
        _send_immediate(report)
        _send_digests(report)
    report.waiting = service.waiting_count()
    db.session.rollback()
    return report


def _send_immediate(report: NotifyReport) -> None:
    while True:
        now = clock.now()
        claimed = service.claim_immediate(now, BATCH)
        if not claimed:
            db.session.rollback()
            return
        done = service.deliver(claimed, now)
        db.session.commit()
        report.sent += done.sent
        report.failed += done.failed
        if not done.sent:  # the mail server takes nothing now: the rest waits for the next run
            return


def _send_digests(report: NotifyReport) -> None:
    while True:
        now, today = clock.now(), clock.today()
        people = service.claim_digest_recipients(now, today, BATCH)
        if not people:
            db.session.rollback()
            return
        sent_any = False
        for person in people:
            done = service.deliver_digest(person, service.digest_items(person, now), now, today)
            report.sent += done.sent
            report.failed += done.failed
            sent_any = sent_any or bool(done.sent)
        db.session.commit()
        if not sent_any:
            return


@click.command("notify")
@with_appcontext
def notify_command() -> None:
    """Write due and overdue reminders and send waiting notification emails (run every few minutes)."""
    for line in run_notify().lines():
        click.echo(line)
