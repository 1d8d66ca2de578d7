"""The calibration figures over a small organisation, as a fixed table: the distributions are
counted by the database (GROUP BY per manager), and must read exactly as the Python fold over
every rating that they replace did (the table was recorded from it)."""
import pytest
from sqlalchemy import func, select

from ladder.domain.calibration import CalibrationFilter, RatingCounts
from ladder.extensions import db
from ladder.models import Review
from ladder.services.calibration import calibration_of
from ladder.services.rating_counts import KEPT, counts_by_subject, keep_counts
from ladder.services.reviews import readiness_kept, reopen, submit

from ..factories import Entry, make_review, make_user, rate_all

pytestmark = pytest.mark.dates


def mixed(ladder, ranks):
    """Competencies rated at the ranks given in turn (0: below current, None: not rated)."""
    entries = {}
    for i, key in enumerate(rate_all(ladder, 3)):
        rank = ranks[i % len(ranks)]
        entries[key] = Entry(None, "") if rank is None else rate_all(ladder, rank)[key]
    return entries


@pytest.fixture
def figures(org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=mixed(ladder, [2, 3, 0]), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                entries=mixed(ladder, [3, 2, 2, None]), loaded=ladder)
    make_review(org.cycle, org.peer, kind="manager", author=org.manager, status="shared",
                entries=mixed(ladder, [0, 1, 2]), loaded=ladder)
    make_review(org.cycle, org.peer, status="draft", entries=rate_all(ladder, 3), loaded=ladder)  # not counted
    make_review(org.cycle, org.outsider, status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    make_review(org.cycle, org.outsider, kind="manager", author=org.other_manager, status="shared",
                entries=rate_all(ladder, 2), loaded=ladder)
    make_review(org.cycle, org.mentor, kind="manager", author=org.other_manager, status="draft",
                entries=rate_all(ladder, 4), loaded=ladder)  # a person with no finished manager review
    loner = make_user("loner@example.com", "senior", "ic")  # no manager: in the organisation's row only
    make_review(org.cycle, loner, kind="manager", author=org.admin, status="submitted",
                entries=mixed(ladder, [1, 4]), loaded=ladder)
    make_review(org.cycle, loner, status="submitted", entries=mixed(ladder, [2]), loaded=ladder)
    db.session.commit()


def table(result):
    return [(d.label, d.people, d.ratings, round(d.below, 4), round(d.at, 4), round(d.above, 4), d.mean_gap)
            for d in [result.org, *result.managers]]


def test_the_distributions_read_as_recorded(org, figures):
    result = calibration_of(org.cycle, org.admin, CalibrationFilter())
    assert table(result) == EXPECTED


def test_a_manager_filter_keeps_the_organisation_row_over_everyone(org, figures):
    result = calibration_of(org.cycle, org.admin, CalibrationFilter(manager_id=org.other_manager.id))
    assert table(result) == [EXPECTED[0], *(row for row in EXPECTED if row[0] == "Other Manager")]



def test_a_directors_tree_reads_as_the_admins_figures_for_the_same_people(org, figures):
    """The director's scope is read from the reporting tree (names included), the admin's from
    every user: the managers' rows read the same, and a manager off the ladder, with no review
    of their own, still names their group and the filter's option."""
    org.other_manager.on_ladder = False
    db.session.commit()
    mine = calibration_of(org.cycle, org.director, CalibrationFilter())
    assert table(mine)[1:] == EXPECTED[1:]
    assert (mine.org.people, mine.people) == (EXPECTED[0][1] - 1, 4)  # the loner reports to nobody
    assert "Loner" not in {case.subject_name for case in mine.cases()}
    assert mine.manager_options == [(org.manager.id, "Manager"), (org.other_manager.id, "Other Manager")]

EXPECTED = [  # label, people, ratings, below, at, above, mean manager-minus-self gap
    ("Organisation", 5, 90, 0.2222, 0.4889, 0.2889, -0.09),
    ("Manager", 2, 42, 0.1905, 0.4762, 0.3333, 0.33),
    ("Other Manager", 2, 24, 0.0, 1.0, 0.0, -1.0),
]


def test_readiness_kept_at_submission_reads_as_computed_from_the_ratings(org, figures):
    """Reviews submitted before readiness was kept are computed from their ratings; once kept,
    every case of the page reads the same."""
    computed = calibration_of(org.cycle, org.admin, CalibrationFilter())
    finished = db.session.scalars(select(Review).where(Review.status.in_(("submitted", "shared")))).all()
    for review in finished:
        review.readiness = readiness_kept(review)
    db.session.commit()
    kept = calibration_of(org.cycle, org.admin, CalibrationFilter())
    assert kept.cases() == computed.cases() and len(kept.cases()) > 4
    assert kept.groups == computed.groups and kept.flagged_managers == computed.flagged_managers
    assert table(kept) == EXPECTED


def test_a_slice_of_the_cases_is_the_same_rows_as_that_part_of_all_of_them(org, figures):
    """The page builds only its own rows; they must be those of the whole table, in its order."""
    result = calibration_of(org.cycle, org.admin, CalibrationFilter())
    everything = result.cases()
    assert len(everything) == result.case_count > 4
    assert [c.subject_name.lower() for c in everything] == sorted(c.subject_name.lower() for c in everything)
    for start, stop in ((0, 2), (1, 4), (3, 99), (result.case_count, result.case_count + 5)):
        assert result.cases(start, stop) == everything[start:stop]
    narrowed = calibration_of(org.cycle, org.admin, CalibrationFilter(target="staff"))
    assert narrowed.cases() == [c for c in everything if c.target_key == "staff"]
    assert narrowed.case_count == len(narrowed.cases())


def test_submitting_keeps_readiness_and_reopening_drops_it(org, ladder):
    review = make_review(org.cycle, org.peer, status="draft", entries=rate_all(ladder, 2), loaded=ladder)
    submit(review, actor=org.peer)
    assert review.readiness == readiness_kept(review) and review.readiness
    assert review.readiness["senior"][0] == 1.0  # an engineer rated at Senior everywhere: the next level met
    reopen(review, "A rating was wrong.", actor=org.admin)
    assert review.readiness is None


def kept_counts(review):
    db.session.refresh(review)
    return None if review.rated_below is None else RatingCounts(*(getattr(review, c.key) for c in KEPT))


def test_rating_counts_kept_on_the_manager_reviews_read_as_counted(org, figures):
    """Reviews finished before the counts were kept are counted from their ratings; once kept,
    the distributions read the same."""
    for review in db.session.scalars(select(Review).where(Review.status.in_(("submitted", "shared")))).all():
        keep_counts(review)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Review.kind == "manager", Review.rated_below.is_not(None))) == 4
    assert table(calibration_of(org.cycle, org.admin, CalibrationFilter())) == EXPECTED


def test_submitting_keeps_the_counts_and_reopening_either_review_recounts_them(org, ladder):
    own = make_review(org.cycle, org.peer, status="draft", entries=rate_all(ladder, 2), loaded=ladder)
    manager = make_review(org.cycle, org.peer, kind="manager", author=org.manager, status="draft",
                          entries=mixed(ladder, [1, 2, 3]), loaded=ladder)
    submit(manager, actor=org.manager)
    assert kept_counts(manager) == RatingCounts(below=0, at=8, above=16, gap_sum=0, gaps=0)  # no self-review yet
    submit(own, actor=org.peer)
    compared = kept_counts(manager)
    assert compared == counts_by_subject([own.id, manager.id])[org.peer.id] and compared.gaps == 24
    reopen(own, "A rating was wrong.", actor=org.admin)
    assert kept_counts(manager) == RatingCounts(below=0, at=8, above=16, gap_sum=0, gaps=0)
    submit(own, actor=org.peer)
    assert kept_counts(manager) == compared
    reopen(manager, "Recalibrated.", actor=org.admin)
    assert kept_counts(manager) is None and kept_counts(own) is None
