"""Text made safe to open in a spreadsheet (CSV injection).

A spreadsheet runs a cell as a formula when it starts with = + - @ (or their full-width forms,
which some locales accept), and also when it starts with a tab or carriage return that it then
trims. A cell is split further wherever the reader's locale sees a field separator (`;` in much
of Europe, `,`, a tab, `|`) or a line break, so a trigger after one of those counts too. Every such
trigger gets a `'` in front: the spreadsheet shows the text as typed, and runs nothing.
"""
from __future__ import annotations

import re

TRIGGERS = "=+\\-@\uff1d\uff0b\uff0d\uff20"  # = + - @ and full-width ＝ ＋ － ＠
SEPARATORS = ";,|\t\r\n"
_FORMULA = re.compile(rf"(^|[{re.escape(SEPARATORS)}])(\s*)(?=[{TRIGGERS}])")
_LEADING_CONTROL = re.compile(r"^[\t\r]")


def spreadsheet_safe(value: object) -> str:
    """`value` as text that no spreadsheet in any locale reads as a formula."""
    text = "" if value is None else str(value)
    text = _FORMULA.sub(lambda match: f"{match.group(1)}{match.group(2)}'", text)
    return "'" + text if _LEADING_CONTROL.match(text) else text
