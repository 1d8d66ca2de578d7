"""The one clock: tests can freeze and shift it, and the app's records take their times from it."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ladder import clock

pytestmark = pytest.mark.dates


def test_frozen_clock_gives_that_moment_and_its_date():
    with clock.frozen_at(datetime(2031, 2, 3, 4, 5, 6)):
        assert clock.now() == datetime(2031, 2, 3, 4, 5, 6)
        assert clock.today() == date(2031, 2, 3)
        assert clock.epoch_seconds() == 1927857906
    assert clock.now() != datetime(2031, 2, 3, 4, 5, 6)


def test_a_date_freezes_at_its_midnight():
    with clock.frozen_at(date(2030, 1, 1)):
        assert clock.now() == datetime(2030, 1, 1)


def test_shift_moves_the_running_clock_and_restores_it():
    before = clock.now()
    with clock.shifted_by(timedelta(days=365)):
        assert timedelta(days=365) <= clock.now() - before < timedelta(days=366)
    assert clock.now() - before < timedelta(days=1)


def test_records_take_their_creation_time_from_the_clock(app, org):
    from ladder.extensions import db
    from tests.factories import make_note

    with clock.frozen_at(datetime(2030, 6, 1, 12, 0)):
        note = make_note(org.manager, org.engineer, "Good incident review.", role="manager")
        db.session.commit()
    assert note.created_at == datetime(2030, 6, 1, 12, 0)
