"""The reporting tree (ladder/services/people.py)."""
import pytest
from sqlalchemy.exc import IntegrityError

from ladder.extensions import db
from ladder.services.people import management_chain_ids, relation, report_ids, would_create_cycle

pytestmark = pytest.mark.dates


def test_chain_and_reports(org):
    assert management_chain_ids(org.engineer.id) == [org.manager.id, org.director.id]
    assert set(report_ids(org.director.id)) == {org.manager.id, org.other_manager.id, org.engineer.id,
                                                org.peer.id, org.outsider.id, org.mentor.id}
    assert set(report_ids(org.manager.id, direct_only=True)) == {org.engineer.id, org.peer.id}


def test_relations(org):
    assert relation(org.manager, org.engineer).is_direct_manager
    skip = relation(org.director, org.engineer)
    assert skip.is_manager and not skip.is_direct_manager
    assert not relation(org.other_manager, org.engineer).is_manager
    assert not relation(org.peer, org.engineer).is_manager
    assert relation(org.engineer, org.engineer).is_self


def test_cycles_are_detected(org):
    assert would_create_cycle(org.director.id, org.engineer.id)
    assert would_create_cycle(org.engineer.id, org.engineer.id)
    assert not would_create_cycle(org.engineer.id, org.other_manager.id)


def test_the_database_refuses_a_reporting_cycle(org):
    org.director.manager_id = org.engineer.id
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError, match="reporting cycle"):
            db.session.flush()
    else:
        pytest.skip("SQLite cannot recurse in triggers; the application check guards it")
    db.session.rollback()


def test_nobody_manages_themselves_in_the_database(org):
    org.engineer.manager_id = org.engineer.id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
