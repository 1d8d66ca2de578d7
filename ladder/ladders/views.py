"""Reading the ladder: the matrix of a track and what changes between two levels.

Signed-in people read any published version of any ladder. With PUBLIC_LADDERS on, the latest
published version of each ladder is also readable without signing in, at stable URLs under
/ladders/public/, through the same pages: a ladder holds no personal data, and those pages
show nothing else (no versions, no links into the app)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from ..domain.ladder_view import areas_on_track, compare_levels
from ..params import int_arg
from ..services.ladders import LoadedVersion, ladder_of, load_version, published_by_key, versions_of

bp = Blueprint("ladders", __name__, url_prefix="/ladder")
public_bp = Blueprint("public_ladders", __name__, url_prefix="/ladders/public")

# PUBLIC_LADDERS: off (the default), on (public, and search engines are asked not to index the
# pages: they are for the people you send the link to) or indexed (search engines may list them).
PUBLIC_MODES = {"off": "off", "false": "off", "no": "off", "0": "off", "": "off",
                "on": "on", "true": "on", "yes": "on", "1": "on", "indexed": "indexed"}


def check_public_setting(app: Flask) -> None:
    """PUBLIC_LADDERS as one of off, on, indexed; anything else stops the app from starting."""
    value = app.config.get("PUBLIC_LADDERS", "off")
    mode = ("on" if value else "off") if isinstance(value, bool) else PUBLIC_MODES.get(str(value).strip().lower())
    if mode is None:
        raise RuntimeError(f"PUBLIC_LADDERS must be off, on or indexed, not {value!r}")
    app.config["PUBLIC_LADDERS"] = mode


@dataclass(frozen=True)
class Links:
    """Where a ladder page links to: the signed-in pages (at a version, any ladder) or the public
    pages (the latest version, by key). One set of templates serves both."""

    public: bool

    def matrix(self, loaded: LoadedVersion, **args) -> str:
        if self.public:
            return url_for("public_ladders.matrix", key=loaded.rubric.key, **args)
        return url_for("ladders.matrix", ladder=loaded.rubric.key, version=loaded.number, **args)

    def compare(self, loaded: LoadedVersion, **args) -> str:
        if self.public:
            return url_for("public_ladders.compare", key=loaded.rubric.key, **args)
        return url_for("ladders.compare", ladder=loaded.rubric.key, version=loaded.number, **args)

    def compare_form(self, loaded: LoadedVersion) -> str:
        """Where the compare form is sent (the signed-in one names its ladder in hidden fields)."""
        return url_for("public_ladders.compare", key=loaded.rubric.key) if self.public else url_for("ladders.compare")

    def same_page_of(self, rubric) -> str:
        """This page, for another ladder."""
        endpoint = request.endpoint
        assert endpoint is not None  # called while rendering a ladder page, so a route matched
        if self.public:
            return url_for(endpoint, key=rubric.key)
        return url_for(endpoint, ladder=rubric.key)


SIGNED_IN, PUBLIC = Links(public=False), Links(public=True)


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


def _matrix_page(loaded: LoadedVersion, links: Links):
    rubric = loaded.rubric
    track_key = request.args.get("track", rubric.tracks[0].key)
    if not rubric.has_track(track_key):
        abort(404)
    published = [] if links.public else [v for v in versions_of(rubric.key) if v.is_published]
    return render_template("ladders/matrix.html", loaded=loaded, rubric=rubric, ladders=_other_ladders(rubric),
                           track=rubric.track(track_key), levels=rubric.track_levels(track_key),
                           areas=areas_on_track(rubric, track_key), published=published, links=links,
                           robots=_robots(links))


def _compare_page(loaded: LoadedVersion, links: Links):
    rubric = loaded.rubric
    from_key = request.args.get("from", "senior" if rubric.has_level("senior") else rubric.levels[0].key)
    to_key = request.args.get("to", "staff" if rubric.has_level("staff") else rubric.levels[-1].key)
    error = None
    changes = []
    if not rubric.has_level(from_key) or not rubric.has_level(to_key):
        error = "Choose two levels of this ladder."
    else:
        changes = compare_levels(rubric, from_key, to_key)
    published = [] if links.public else [v for v in versions_of(rubric.key) if v.is_published]
    return render_template("ladders/compare.html", loaded=loaded, rubric=rubric, from_key=from_key, published=published,
                           ladders=_other_ladders(rubric), links=links, robots=_robots(links),
                           to_key=to_key, changes=changes, error=error), 400 if error else 200


def _robots(links: Links) -> str | None:
    """The robots meta of a page: public pages ask search engines to stay away unless "indexed"."""
    return "noindex" if links.public and current_app.config["PUBLIC_LADDERS"] != "indexed" else None


@bp.route("/")
@login_required
def matrix():
    return _matrix_page(_version_from_request(), SIGNED_IN)


@bp.route("/compare")
@login_required
def compare():
    return _compare_page(_version_from_request(), SIGNED_IN)


@public_bp.before_request
def _only_when_public():
    """Off (the default), the public pages do not exist, for anyone."""
    if current_app.config["PUBLIC_LADDERS"] == "off":
        abort(404)


def _published_or_404(key: str) -> LoadedVersion:
    loaded = published_by_key().get(key)
    if loaded is None:
        abort(404)
    return loaded


@public_bp.route("/", endpoint="index")
def public_index():
    ladders = [loaded.rubric for _, loaded in sorted(published_by_key().items())]
    return render_template("ladders/public_index.html", ladders=ladders, robots=_robots(PUBLIC))


@public_bp.route("/<key>", endpoint="matrix")
def public_matrix(key: str):
    return _matrix_page(_published_or_404(key), PUBLIC)


@public_bp.route("/<key>/compare", endpoint="compare")
def public_compare(key: str):
    return _compare_page(_published_or_404(key), PUBLIC)
