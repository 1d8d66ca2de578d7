"""Files holding people's data are readable by their owner only, whatever the umask."""
import os
import stat

import pytest

from ladder import create_app
from ladder.files import open_private


@pytest.fixture
def loose_umask():
    """The common default: files world-readable unless created otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_export_file_is_readable_by_its_owner_only(runner, org, tmp_path, loose_umask):
    path = tmp_path / "export.json"
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600


def test_an_export_overwriting_a_world_readable_file_narrows_it(tmp_path, loose_umask):
    path = tmp_path / "old-export.json"
    path.write_text("old")
    assert mode(path) == 0o644
    with open_private(path) as out:
        out.write("new")
    assert mode(path) == 0o600 and path.read_text() == "new"


def test_new_sqlite_database_and_instance_folder_are_private(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": None})
    database = instance / "ladder.sqlite"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith(str(database))
    assert mode(instance) == 0o700
    assert mode(database) == 0o600
    from ladder.cli import upgrade_database

    with app.app_context():
        upgrade_database()
        from ladder.extensions import db

        db.engine.dispose()
    assert mode(database) == 0o600  # still, with tables in it
