"""One email rule everywhere: what the people import accepts, sign-in accepts, and look-alike
addresses are refused (or, for full-width letters, normalised) with a clear message."""
import pytest

from ladder.domain.emails import EmailProblem, normalise_email
from ladder.domain.people_import import read_csv

LOOK_ALIKES = {
    "l\u0435e@example.com": "mixes alphabets",          # Cyrillic е
    "lee@ex\u0430mple.com": "mixes alphabets",          # Cyrillic а in the domain
    "le\u200be@example.com": "invisible character",     # zero-width space
    "lee@example.com\u200d": "invisible character",     # zero-width joiner
    "\u202elee@example.com": "invisible character",     # right-to-left override
    "l\u03bfe@example.com": "mixes alphabets",          # Greek omicron
}


@pytest.mark.parametrize("typed,why", LOOK_ALIKES.items())
def test_look_alike_addresses_are_refused_with_the_reason(typed, why):
    with pytest.raises(EmailProblem, match=why):
        normalise_email(typed)


@pytest.mark.parametrize("typed,stored", [
    ("\uff4c\uff45\uff45\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d", "lee@example.com"),
    ("  Lee@Example.COM ", "lee@example.com"),
    ("\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "иван@пример.рф"),  # one alphabet
])
def test_full_width_and_capitals_are_normalised(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize("typed", ["lee@corp.local", "lee@localhost", "lee", "lee@", "a@b@example.com"])
def test_addresses_no_mail_reaches_are_refused(typed):
    with pytest.raises(EmailProblem):
        normalise_email(typed)


def test_people_import_refuses_what_sign_in_refuses(client, org, ladder):
    """The import accepted lee@corp.local, then the sign-in form refused it: nobody could sign in."""
    from ladder.domain.people_import import plan_import

    text = ("email,name,level,track,manager_email\n"
            "lee@corp.local,Lee,senior,ic,\n"
            "l\u0435e@example.com,Lee Two,senior,ic,\n"
            "\uff4a\uff4f@example.com,Jo,senior,ic,\n")
    rows, problems = read_csv(text)
    assert not problems
    plan = plan_import(rows, [], {ladder.rubric.key: ladder.rubric}, ladder.rubric.key)
    errors = {row.email: " ".join(row.errors) for row in plan.rows}
    assert "special-use or reserved name" in errors["lee@corp.local"]
    assert "mixes alphabets" in errors["l\u0435e@example.com"]
    assert errors["jo@example.com"] == ""  # full-width letters, normalised
    response = client.login("lee@corp.local")
    assert "special-use or reserved name" in response.get_data(as_text=True)


def test_sign_in_and_admin_person_form_use_the_same_rule(client, org):
    response = client.login("engineer@\uff45xample.com")  # full-width e: the same account
    assert response.status_code == 302
    client.logout()
    client.login("admin@example.com")
    response = client.post_form("/admin/people/new", {"name": "Lee", "email": "l\u0435e@example.com",
                                                      "level_key": "senior", "track_key": "ic"})
    assert response.status_code == 422
    assert "mixes alphabets" in response.get_data(as_text=True)


def test_cli_import_refuses_look_alikes(runner, org, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,name,level,track,manager_email\nle\u200be@example.com,Lee,senior,ic,\n", encoding="utf-8")
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code != 0
    assert "invisible character" in result.output
