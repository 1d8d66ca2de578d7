"""Reading a person's reviews for pages that show several at once (side by side, the person's
history, the home page): both kinds, their ratings and their answers, each in one query."""
from datetime import timedelta

import pytest

from ladder import clock
from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import ReviewAnswer, ReviewQuestion
from ladder.services import reviews as review_service

from ..factories import make_cycle, make_review, rate_all

pytestmark = pytest.mark.dates


def ask(cycle, kind: str, *prompts: str) -> list[ReviewQuestion]:
    questions = [ReviewQuestion(cycle_id=cycle.id, kind=kind, position=i, prompt=prompt)
                 for i, prompt in enumerate(prompts)]
    db.session.add_all(questions)
    db.session.flush()
    return questions


def test_reviews_of_keys_a_persons_reviews_by_cycle_and_kind_and_leaves_others_out(org, ladder):
    earlier = make_cycle(ladder.version_id, name="2026 H1", status="closed",
                         opens_on=clock.today() - timedelta(days=200))
    own_self = make_review(org.cycle, org.engineer)
    own_manager = make_review(org.cycle, org.engineer, kind="manager", author=org.manager)
    earlier_self = make_review(earlier, org.engineer, status="submitted")
    make_review(org.cycle, org.peer)

    found = review_service.reviews_of(org.engineer.id, [org.cycle.id, earlier.id])

    assert found == {(org.cycle.id, "self"): own_self, (org.cycle.id, "manager"): own_manager,
                     (earlier.id, "self"): earlier_self}
    assert review_service.reviews_of(org.engineer.id, [earlier.id]) == {(earlier.id, "self"): earlier_self}


def test_entries_by_review_gives_each_review_its_own_ratings(org, ladder):
    mine = rate_all(ladder, 2, "I did it.")
    theirs = rate_all(ladder, 3, "Seen in the ledger.")
    theirs["security"] = Entry("below", "No CVEs patched.")
    self_review = make_review(org.cycle, org.engineer, entries=mine, loaded=ladder)
    manager_review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, entries=theirs,
                                 loaded=ladder)
    make_review(org.cycle, org.peer, entries=rate_all(ladder, 1, "Peer's."), loaded=ladder)

    entries = review_service.entries_by_review([self_review, manager_review], ladder)

    assert entries == {self_review.id: mine, manager_review.id: theirs}
    assert review_service.entries_of(manager_review, ladder) == theirs
    assert review_service.entries_by_review([], ladder) == {}


def test_answered_by_review_pairs_each_kinds_questions_with_that_reviews_answers_in_order(org):
    asked_self = ask(org.cycle, "self", "What went well?", "What next?")
    asked_manager = ask(org.cycle, "manager", "Strengths", "Growth areas", "Summary")
    self_review = make_review(org.cycle, org.engineer)
    manager_review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager)
    peers = make_review(org.cycle, org.peer)
    db.session.add_all([
        ReviewAnswer(review_id=self_review.id, question_id=asked_self[1].id, body="Lead the migration."),
        ReviewAnswer(review_id=manager_review.id, question_id=asked_manager[0].id, body="Calm in incidents."),
        ReviewAnswer(review_id=peers.id, question_id=asked_self[0].id, body="The peer's own answer."),
    ])
    db.session.flush()

    answers = review_service.answered_by_review([self_review, manager_review])

    assert answers == {
        self_review.id: [("What went well?", ""), ("What next?", "Lead the migration.")],
        manager_review.id: [("Strengths", "Calm in incidents."), ("Growth areas", ""), ("Summary", "")],
    }
    assert review_service.answered(peers) == [("What went well?", "The peer's own answer."), ("What next?", "")]
    assert review_service.answered_by_review([]) == {}


def test_answered_by_review_refuses_reviews_it_would_mix_up(org):
    ask(org.cycle, "self", "What went well?")
    engineers = make_review(org.cycle, org.engineer)
    peers = make_review(org.cycle, org.peer)
    with pytest.raises(ValueError, match="one person's reviews of one cycle"):
        review_service.answered_by_review([engineers, peers])
