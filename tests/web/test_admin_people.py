"""Administering people: directory, create, edit, reporting cycles, deactivation, one-time passwords."""
import re

from sqlalchemy import select

from ladder.extensions import db
from ladder.models import AuditEntry, User


def person_form(**overrides):
    data = {"name": "Nia New", "email": "nia@example.com", "title": "Engineer", "level_key": "engineer",
            "track_key": "ic", "manager_email": "manager@example.com"}
    data.update(overrides)
    return data


def test_directory_search_and_filters(client, org):
    client.login("admin@example.com")
    page = client.get("/admin/people").get_data(as_text=True)
    assert "Engineer" in page and "outsider@example.com" in page and "8 people" in page
    page = client.get("/admin/people?q=outs").get_data(as_text=True)
    assert "outsider@example.com" in page and "engineer@example.com" not in page
    page = client.get("/admin/people?level=em&track=management").get_data(as_text=True)
    assert "2 people" in page and "manager@example.com" in page
    org.peer.is_active_account = False
    db.session.commit()
    page = client.get("/admin/people?status=inactive").get_data(as_text=True)
    assert "1 person" in page and "peer@example.com" in page and "Deactivated" in page


def test_create_a_person_and_see_it_audited_as_the_admin(client, org):
    client.login("admin@example.com")
    response = client.post_form("/admin/people/new", person_form(email="Nia@Example.com"))
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "nia@example.com"))
    assert person.manager_id == org.manager.id and person.password_hash is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                       AuditEntry.entity_id == person.id))
    assert entry.actor_id == org.admin.id and entry.subject_id == person.id


def test_invalid_input_is_kept_with_a_message_next_to_the_field(client, org):
    client.login("admin@example.com")
    response = client.post_form("/admin/people/new", person_form(email="engineer@example.com", name="Typed <Name>"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already belongs to Engineer" in page and 'value="Typed &lt;Name&gt;"' in page
    response = client.post_form("/admin/people/new", person_form(manager_email="ghost@example.com"))
    assert "Nobody in Ladder has the email ghost@example.com" in response.get_data(as_text=True)
    response = client.post_form("/admin/people/new", person_form(level_key="staff", track_key="management"))
    assert "is not a level of the Engineering management track" in response.get_data(as_text=True)
    response = client.post_form("/admin/people/new", person_form(level_key="wizard"))
    assert response.status_code == 422
    response = client.post_form("/admin/people/new", person_form(name="x" * 121))
    assert response.status_code == 422 and "120" in response.get_data(as_text=True)


def test_edit_refuses_a_reporting_cycle_with_a_clear_message(client, org):
    client.login("admin@example.com")
    path = f"/admin/people/{org.director.id}"
    response = client.post_form(path, person_form(name="Director", email="director@example.com", level_key="sem",
                                                  track_key="management", manager_email="engineer@example.com"))
    assert response.status_code == 422
    assert "reports (directly or not) to Director" in response.get_data(as_text=True)
    assert db.session.get(User, org.director.id).manager_id is None
    response = client.post_form(path, person_form(name="Director", email="director@example.com", level_key="sem",
                                                  track_key="management", manager_email="director@example.com"))
    assert "cannot be their own manager" in response.get_data(as_text=True)


def test_edit_changes_level_manager_admin_flag_and_title(client, org):
    client.login("admin@example.com")
    response = client.post_form(f"/admin/people/{org.peer.id}", person_form(
        name="Pat Peer", email="peer@example.com", level_key="senior", manager_email="other.manager@example.com",
        title="Senior Engineer", is_admin="y"))
    assert response.status_code == 302
    peer = db.session.get(User, org.peer.id)
    assert (peer.level_key, peer.manager_id, peer.is_admin, peer.title) == ("senior", org.other_manager.id, True,
                                                                            "Senior Engineer")
    # the peer's own entry, the latest: signing in updates the admin's user too, and rows come
    # back in no particular order without an ORDER BY
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update",
                                                        AuditEntry.entity_id == org.peer.id)
                               .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.changes["level_key"] == ["engineer", "senior"] and entry.changes["is_admin"] == [False, True]


def test_an_admin_cannot_remove_their_own_admin_rights(client, org):
    client.login("admin@example.com")
    response = client.post_form(f"/admin/people/{org.admin.id}", person_form(
        name="Admin", email="admin@example.com", level_key="senior", manager_email=""))
    assert response.status_code == 422 and "cannot remove your own admin rights" in response.get_data(as_text=True)


def test_deactivated_people_keep_their_history_and_cannot_sign_in(client, org):
    client.login("admin@example.com")
    response = client.post_form(f"/admin/people/{org.manager.id}/active", {"active": "0"},
                                token_from=f"/admin/people/{org.manager.id}", follow_redirects=True)
    assert "still manages 2 active people" in response.get_data(as_text=True)
    response = client.post_form(f"/admin/people/{org.peer.id}/active", {"active": "0"},
                                token_from=f"/admin/people/{org.peer.id}", follow_redirects=True)
    assert "deactivated" in response.get_data(as_text=True)
    assert not db.session.get(User, org.peer.id).is_active_account
    client.logout()
    page = client.login("peer@example.com").get_data(as_text=True)
    assert "Email or password is incorrect" in page
    client.login("admin@example.com")
    client.post_form(f"/admin/people/{org.peer.id}/active", {"active": "1"}, token_from=f"/admin/people/{org.peer.id}")
    assert db.session.get(User, org.peer.id).is_active_account


def test_a_signed_in_person_is_signed_out_when_deactivated(client, org):
    client.login("peer@example.com")
    assert client.get("/").status_code == 200
    org.peer.is_active_account = False
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_one_time_password_is_shown_once_stored_hashed_and_must_be_changed(client, org):
    client.login("admin@example.com")
    response = client.post_form(f"/admin/people/{org.peer.id}/password", {}, token_from=f"/admin/people/{org.peer.id}")
    page = response.get_data(as_text=True)
    password = re.search(r'<code class="one-time-password">([^<]+)</code>', page).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    peer = db.session.get(User, org.peer.id)
    assert peer.password_hash.startswith("scrypt:") and password not in peer.password_hash
    assert peer.must_change_password
    assert password not in client.get(f"/admin/people/{org.peer.id}").get_data(as_text=True)
    audit_text = str([e.changes for e in db.session.scalars(select(AuditEntry))])
    assert password not in audit_text
    client.logout()
    response = client.login("peer@example.com", password)
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/auth/password")
    assert client.get("/reviews/self").headers["Location"].endswith("/auth/password")
    short = client.post_form("/auth/password",
                             {"current_password": password, "new_password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    response = client.post_form("/auth/password",
                                {"current_password": password, "new_password": "a brand new passphrase",
                                                   "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    peer = db.session.get(User, org.peer.id)
    assert not peer.must_change_password and peer.check_password("a brand new passphrase")


def test_with_several_ladders_the_form_chooses_a_ladder_and_checks_the_level_on_it(client, org):
    from ladder.domain.rubric import parse_rubric
    from ladder.models import Ladder
    from ladder.services.ladders import import_rubric

    from ..factories import MINIMAL

    import_rubric(parse_rubric(MINIMAL))
    db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/people/new").get_data(as_text=True)
    assert ('<option selected value="engineering">Engineering career ladder</option>'
            '<option value="tiny">Tiny ladder</option>') in page
    assert '<optgroup label="Tiny ladder">' in page
    response = client.post_form("/admin/people/new", person_form(ladder_key="tiny", level_key="staff"))
    assert response.status_code == 422 and "Choose a level of Tiny ladder." in response.get_data(as_text=True)
    response = client.post_form("/admin/people/new", person_form(ladder_key="tiny", level_key="junior"))
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "nia@example.com"))
    assert db.session.get(Ladder, person.ladder_id).key == "tiny"
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert '<option selected value="tiny">Tiny ladder</option>' in page
    # saving without touching the ladder keeps it
    response = client.post_form(f"/admin/people/{person.id}",
                                {k: v for k, v in person_form(name="Nia N", level_key="junior").items()})
    assert response.status_code == 302 and db.session.get(User, person.id).ladder_id == person.ladder_id
