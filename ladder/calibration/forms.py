"""Calibration's form: changing a verdict (a note is required)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import verdict_field
from ..models.reviews import RATIONALE_MAX


class AdjustVerdictForm(FlaskForm):
    verdict = verdict_field("New verdict")
    note = TextAreaField("Why (kept with the verdict's history)", validators=[
        DataRequired(message="Write why the verdict changes: the note is what calibration leaves behind."),
        Length(max=RATIONALE_MAX, message=f"Keep the note under {RATIONALE_MAX} characters.")])

