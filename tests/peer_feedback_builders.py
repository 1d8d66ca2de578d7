"""Builders for peer feedback requests; they add and flush, the test decides when to commit."""
from __future__ import annotations

from datetime import timedelta

from ladder import clock
from ladder.extensions import db
from ladder.models import PeerFeedbackRequest


def make_peer_request(cycle, subject, peer, *, requester=None, competencies=("system-design",),
                      status="requested", answers=None, due_in_days=7, decline_reason=None) -> PeerFeedbackRequest:
    request = PeerFeedbackRequest(
        cycle_id=cycle.id, subject_id=subject.id, requester_id=(requester or subject).id, peer_id=peer.id,
        competencies=list(competencies), due_on=clock.today() + timedelta(days=due_in_days), status=status,
        answers=answers or {}, decline_reason=decline_reason,
        answered_at=clock.now() if status == "answered" else None,
        declined_at=clock.now() if status == "declined" else None)
    db.session.add(request)
    db.session.flush()
    return request
