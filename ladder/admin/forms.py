"""Forms of the administration pages; every field has a maximum length matching its column."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain.cycles import parse_questions
from ..domain.rubric import Rubric
from ..forms import EmailAddress

YAML_MAX = 1_000_000
CSV_MAX = 1_900_000


class PersonForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), EmailAddress()])
    title = StringField("Job title (optional)", validators=[Optional(), Length(max=120)])
    ladder_key = SelectField("Ladder", validators=[Optional()])  # absent: the person's ladder (or the default)
    level_key = SelectField("Level", validators=[InputRequired()])
    track_key = SelectField("Track", validators=[InputRequired()])
    manager_email = EmailField("Manager's email (empty for the top of the organisation)",
                               validators=[Optional(), Length(max=254), EmailAddress()])
    on_ladder = BooleanField("Has a role on the ladder (self-review, manager review, readiness, calibration)",
                             default=True)
    is_admin = BooleanField("Administrator (manages ladders, people and cycles)")

    def set_ladders(self, rubrics: list[Rubric]) -> None:
        """Every published ladder; with several, levels and tracks are grouped by ladder (the
        level and track must belong to the ladder chosen, which the service checks)."""
        self.ladder_key.choices = [(r.key, r.name) for r in rubrics]
        if len(rubrics) == 1:
            self.level_key.choices = [(lv.key, lv.name) for lv in rubrics[0].levels]
            self.track_key.choices = [(t.key, t.name) for t in rubrics[0].tracks]
        else:
            self.level_key.choices = {r.name: [(lv.key, lv.name) for lv in r.levels] for r in rubrics}
            self.track_key.choices = {r.name: [(t.key, t.name) for t in r.tracks] for r in rubrics}


class ImportUploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])


class ImportApplyForm(FlaskForm):
    content = HiddenField(validators=[DataRequired(), Length(max=CSV_MAX)])
    digest = HiddenField(validators=[DataRequired(), Length(max=64)])
    plan_digest = HiddenField(validators=[DataRequired(), Length(max=64)])


class CycleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], description='For example "2026 H2".')
    ladder_version_id = SelectField("Ladder version", coerce=int, validators=[InputRequired()],
                                    name="framework_version_id")
    other_version_ids = SelectMultipleField("Also review the people on", coerce=int, validators=[Optional()],
                                            widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    opens_on = DateField("Opens on", validators=[InputRequired("Enter a date.")])
    self_review_due = DateField("Self-reviews due", validators=[InputRequired("Enter a date.")])
    manager_review_due = DateField("Manager reviews due", validators=[InputRequired("Enter a date.")])
    closes_on = DateField("Closes on", validators=[InputRequired("Enter a date.")])
    peer_feedback_anonymous = BooleanField("Show peer feedback to the engineer without the names of who wrote it")
    hold_results = BooleanField("Hold results until released: engineers see their shared manager review and "
                                "verdicts only once an admin or their director releases them (after calibration)")

    self_questions = TextAreaField("Self-review questions, one per line (answered in free text above the ratings)")
    manager_questions = TextAreaField("Manager review questions, one per line")

    def validate_self_questions(self, field):
        _check_questions(field)

    def validate_manager_questions(self, field):
        _check_questions(field)

    def validate_self_review_due(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("Self-reviews cannot be due before the cycle opens.")

    def validate_manager_review_due(self, field):
        if self.self_review_due.data and field.data and field.data < self.self_review_due.data:
            raise ValidationError("Manager reviews cannot be due before self-reviews.")

    def validate_closes_on(self, field):
        if self.manager_review_due.data and field.data and field.data < self.manager_review_due.data:
            raise ValidationError("The cycle cannot close before manager reviews are due.")


def _check_questions(field) -> None:
    problems = parse_questions(field.data or "")[1]
    if problems:
        raise ValidationError(" ".join(problems))


class ReopenReviewForm(FlaskForm):
    reason = TextAreaField("Why reopen it? (recorded in the audit log)", validators=[DataRequired(), Length(max=1000)])


class LadderYamlForm(FlaskForm):
    yaml_text = TextAreaField("Ladder YAML", validators=[DataRequired(), Length(max=YAML_MAX)])


class LadderUploadForm(FlaskForm):
    file = FileField("Ladder YAML file", validators=[FileRequired("Choose a YAML file.")])


class LadderSpreadsheetForm(FlaskForm):
    """A ladder kept in a spreadsheet, as CSV: a draft of the ladder with this key (a new one if
    the key is new). Its field names differ from the YAML upload's, on the same page."""

    spreadsheet = FileField("Spreadsheet saved as CSV", validators=[FileRequired("Choose a CSV file.")])
    ladder_key = StringField("Ladder key", validators=[DataRequired(), Length(max=64)],
                             description="An existing ladder's key makes a draft of it; a new key (lowercase "
                                         "letters, digits and hyphens) a new ladder.")
    ladder_name = StringField("Ladder name (needed for a new ladder; optional otherwise)",
                              validators=[Optional(), Length(max=200)])


class OneTimePasswordForm(FlaskForm):
    """Issuing a one-time password: CSRF only."""
