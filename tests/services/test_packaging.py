"""A normal (non-editable) install carries the whole app: every package under ladder/ (found by
setuptools itself), config.py, and the checkout's top-level templates/ and migrations/, which
setup.py copies into the package as ladder/bundled/. Built here as `pip install .` builds it."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "config.py", "ladder", "templates", "migrations")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` would install, built from a copy of the sources (no earlier
    build folder in the checkout can add or hide anything)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, capture_output=True, timeout=600)
    return next(out.glob("ladder-*.whl"))


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


def test_the_wheel_carries_every_module_template_migration_and_the_configuration(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    python = {f"ladder/{name}" for name in files_under(ROOT / "ladder") if name.endswith(".py")}
    assert python - names == set()
    data = {f"ladder/{name}" for name in files_under(ROOT / "ladder") if name.endswith((".yaml", ".txt", ".css",
                                                                                        ".js"))}
    assert data - names == set()
    assert {f"ladder/bundled/templates/{name}" for name in files_under(ROOT / "templates")} - names == set()
    assert {f"ladder/bundled/migrations/{name}" for name in files_under(ROOT / "migrations")} - names == set()
    assert "config.py" in names
    assert not [name for name in names if name.startswith(("tests/", "templates/", "migrations/"))]


def test_the_installed_app_finds_its_templates_and_migrations(wheel, tmp_path):
    """Unpacked as pip would install it, away from the checkout: `ladder db upgrade` reaches
    the latest migration and the sign-in page renders."""
    installed = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(installed)
    script = (
        "import ladder, sys\n"
        "from ladder.cli import main\n"
        f"assert ladder.__file__.startswith({str(installed)!r}), ladder.__file__\n"
        "sys.argv = ['ladder', 'db', 'upgrade']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "from ladder import create_app\n"
        "from ladder.cli import head_revision\n"
        "from sqlalchemy import text\n"
        "from ladder.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    assert db.session.scalar(text('SELECT version_num FROM alembic_version')) == head_revision()\n"
        "assert app.test_client().get('/auth/login').status_code == 200\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(installed), "LADDER_INSTANCE_PATH": str(tmp_path / "instance")}
    for name in ("DATABASE_URL", "LADDER_ENV", "FLASK_APP"):
        environment.pop(name, None)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
