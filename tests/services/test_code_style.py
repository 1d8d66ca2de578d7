"""Style rules ruff cannot check: template lines stay readable in a side-by-side diff.

(Python lines are held to 120 characters by ruff, E501 in pyproject.toml.) A long template line
is wrapped without changing what it renders: inside a Jinja tag, or with `{# -#}` at the end of
the line, which strips the line break and the next line's indentation.
"""
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_LINE_MAX = 160


def test_no_template_line_is_longer_than_160_characters():
    long_lines = [f"{path.relative_to(TEMPLATES)}:{number} ({len(line)} characters)"
                  for path in sorted(TEMPLATES.rglob("*.html"))
                  for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                  if len(line) > TEMPLATE_LINE_MAX]
    assert not long_lines, "template lines over 160 characters:\n" + "\n".join(long_lines)
