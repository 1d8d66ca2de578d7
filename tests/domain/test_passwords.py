"""The password policy (ladder/domain/passwords.py)."""
import pytest

from ladder.domain.passwords import password_problem


@pytest.mark.parametrize("password", [
    "short", "x" * 129, "password", "password123456", "qwertyuiop!!!", "iloveyouiloveyou",
    "aaaaaaaaaaaaaaa", "abababababababab", "correcthorsebatterystaple",
])
def test_weak_passwords_are_refused(password):
    assert password_problem(password) is not None


def test_personal_details_are_refused():
    assert "name or email" in password_problem("walker-ladder-runs", email="eli.walker@example.com", name="Eli Walker")


@pytest.mark.parametrize("password", ["tangerine-orbit-lamp", "Blue kettles sing at 7", "x" * 11 + "yz!Q9"])
def test_good_passwords_pass(password):
    assert password_problem(password) is None
