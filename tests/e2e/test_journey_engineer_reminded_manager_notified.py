"""Journey: three days before self-reviews are due, the engineer sees it at the top of the home
page, submits, and their manager finds a notification and the review in their to-do list."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from ladder import clock
from ladder.extensions import db
from ladder.models import ReviewCycle

from .support import manager_is_told_of_the_submission, submit_self_review_from_todo

pytestmark = pytest.mark.e2e

ENGINEER = "engineer@example.com"
MANAGER = "manager@example.com"


def test_engineer_is_reminded_submits_and_the_manager_is_told(open_page, live_server):
    due = live_server.run(lambda: db.session.scalar(select(ReviewCycle.self_review_due)
                                                    .where(ReviewCycle.status == "open")))
    with clock.frozen_at(datetime.combine(due - timedelta(days=3), time(9))):
        submit_self_review_from_todo(open_page(ENGINEER))
        manager_is_told_of_the_submission(open_page(MANAGER))
