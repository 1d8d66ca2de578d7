"""Home page and health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from .. import __version__, clock
from ..database import RETRY_AFTER_SECONDS, database_status
from ..domain import reviews as rules
from ..domain.ladder_view import next_levels
from ..domain.statuses import ReviewKind, ReviewStatus
from ..services import mentorship as mentorship_service
from ..services import reviews as review_service
from ..services.cycles import held_cycle_ids
from ..services.ladders import ladder_of
from ..services.todo import todo_for

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    cycle = review_service.open_cycle()
    self_review = progress = shared_review = None
    if cycle is not None:
        reviews = review_service.reviews_of(current_user.id, [cycle.id])
        self_review = reviews.get((cycle.id, ReviewKind.SELF))
        if self_review is not None:
            loaded = review_service.version_of(self_review)
            progress = rules.progress(review_service.rubric_of(self_review, loaded),
                                      review_service.entries_of(self_review, loaded))
        manager_review = reviews.get((cycle.id, ReviewKind.MANAGER))
        if (manager_review is not None and manager_review.status == ReviewStatus.SHARED
                and cycle.id not in held_cycle_ids(current_user.id)):
            shared_review = manager_review
    own = ladder_of(current_user)
    rubric = own.rubric if own else None
    today = clock.today()
    growth = mentorship_service.home_context(current_user, today)
    return render_template("main/home.html", cycle=cycle, self_review=self_review, progress=progress, rubric=rubric,
                           next_levels=next_levels(rubric, current_user.level_key, current_user.track_key)
                           if rubric and current_user.on_ladder else [],
                           shared_review=shared_review,
                           todo=todo_for(current_user, today, cycle, self_review, open_goals=growth["goals"],
                                         mentees=growth["mentees"]),
                           growth=growth)


@bp.route("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and the benchmark's ceiling.
    Answers within 2 s whatever the database does: 503 when it is down, slow, locked or frozen."""
    database = database_status()
    status = 200 if database == "ok" else 503
    headers = {} if status == 200 else {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return jsonify(status="ok" if status == 200 else "degraded", version=__version__,
                   database=database), status, headers
