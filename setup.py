"""A normal install (`pip install .`) copies the checkout's top-level `templates/` and
`migrations/` into the package as `ladder/bundled/`, where `ladder.resource_dir` finds them.
Everything else about the build is in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = ("templates", "migrations")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        for name in RESOURCES:
            target = Path(self.build_lib) / "ladder" / "bundled" / name
            shutil.rmtree(target, ignore_errors=True)  # nothing left over from an earlier build
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithResources})
