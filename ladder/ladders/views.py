"""Reading the ladder: the matrix of a track and what changes between two levels."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from ..domain.ladder_view import areas_on_track, compare_levels
from ..params import int_arg
from ..services.ladders import ladder_of, load_version, published_by_key, versions_of

bp = Blueprint("ladders", __name__, url_prefix="/ladder")


def _version_from_request():
    """The ladder asked for (?ladder=KEY, else the reader's own) at the version asked for
    (?version=N), or its latest published one."""
    key = request.args.get("ladder")
    current = published_by_key().get(key) if key else ladder_of(current_user)
    if current is None:
        abort(404)
    number = int_arg("version")
    if number is None or number == current.number:
        return current
    version = next((v for v in versions_of(current.rubric.key) if v.number == number and v.is_published), None)
    if version is None:
        abort(404)
    return load_version(version.id)


def _other_ladders(rubric) -> list:
    """The other published ladders, to switch to (an install may keep several)."""
    return [loaded.rubric for key, loaded in sorted(published_by_key().items()) if key != rubric.key]


@bp.route("/")
@login_required
def matrix():
    loaded = _version_from_request()
    rubric = loaded.rubric
    track_key = request.args.get("track", rubric.tracks[0].key)
    if not rubric.has_track(track_key):
        abort(404)
    published = [v for v in versions_of(rubric.key) if v.is_published]
    return render_template("ladders/matrix.html", loaded=loaded, rubric=rubric, ladders=_other_ladders(rubric),
                           track=rubric.track(track_key), levels=rubric.track_levels(track_key),
                           areas=areas_on_track(rubric, track_key), published=published)


@bp.route("/compare")
@login_required
def compare():
    loaded = _version_from_request()
    rubric = loaded.rubric
    from_key = request.args.get("from", "senior" if rubric.has_level("senior") else rubric.levels[0].key)
    to_key = request.args.get("to", "staff" if rubric.has_level("staff") else rubric.levels[-1].key)
    error = None
    changes = []
    if not rubric.has_level(from_key) or not rubric.has_level(to_key):
        error = "Choose two levels of this ladder."
    else:
        changes = compare_levels(rubric, from_key, to_key)
    published = [v for v in versions_of(rubric.key) if v.is_published]
    return render_template("ladders/compare.html", loaded=loaded, rubric=rubric, from_key=from_key, published=published,
                           ladders=_other_ladders(rubric),
                           to_key=to_key, changes=changes, error=error), 400 if error else 200
