"""Forms of mentorship: pairings, feedback notes, 1:1s with action items, goals and progress."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..domain.statuses import GoalStatus, Visibility
from ..models.mentorship import (
    ACTION_ITEM_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    PARTICIPANTS_MAX,
    TITLE_MAX,
    UPDATE_MAX,
)
from ..once import OneShotForm

VISIBILITY_CHOICES = [
    SelectChoice(Visibility.PRIVATE, "Private: only you (and, for a manager's note, the engineer's management chain)"),
    SelectChoice(Visibility.SHARED, "Shared: the engineer, their managers and mentors can read it"),
]
STATUS_CHOICES = [SelectChoice(status, status.label) for status in GoalStatus]


def _normalise(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n")


class CompetencyTagsField(SelectMultipleField):
    """Competency keys of the current ladder, shown as checkboxes grouped by area."""

    def pre_validate(self, form):
        known = {value for value, *_ in self.choices}
        unknown = [v for v in (self.data or []) if v not in known]
        if unknown:
            raise ValidationError("Choose competencies from the ladder.")


def set_competency_choices(field: CompetencyTagsField, choices: list[tuple[str, str, str]],
                           keep: list[str] | None = None) -> None:
    """Offer the current ladder's competencies (plus tags already stored on the record)."""
    known = [(key, name) for key, name, _ in choices]
    extra = [(key, f"{key} (no longer in the ladder)") for key in (keep or []) if key not in dict(known)]
    field.choices = [SelectChoice(key, name) for key, name in known + extra]
    field.areas = [(area, [(k, n) for k, n, a in choices if a == area])
                   for area in dict.fromkeys(a for _, _, a in choices)]
    if extra:
        field.areas.append(("No longer in the ladder", extra))


class LockedForm(OneShotForm):
    """Edits carry the version they were made from; new records have none (see views._lock) and
    carry a one-shot token instead (edits ignore it)."""

    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class MentorshipForm(OneShotForm):
    mentor_id = SelectField("Mentor", coerce=int, validators=[InputRequired(message="Choose a mentor.")])
    focus = CompetencyTagsField("Focus (competencies)")
    starts_on = DateField("Starts on", validators=[InputRequired(message="Give a start date.")])
    ends_on = DateField("Ends on (optional)", validators=[Optional()])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date must be on or after the start date.")


class NoteForm(LockedForm):
    body = TextAreaField("Note (Markdown)", filters=[_normalise], validators=[
        DataRequired(message="Write the note."),
        Length(max=NOTE_MAX, message=f"Keep the note under {NOTE_MAX} characters.")])
    visibility = RadioField("Who can read it", choices=VISIBILITY_CHOICES, default=Visibility.PRIVATE,
                            validators=[InputRequired(message="Choose who can read it.")])
    competencies = CompetencyTagsField("Competencies (optional)")


class OneOnOneForm(LockedForm):
    held_on = DateField("Date", validators=[InputRequired(message="Give the date of the conversation.")])
    participants = StringField("Participants", validators=[
        Length(max=PARTICIPANTS_MAX, message=f"Keep participants under {PARTICIPANTS_MAX} characters.")])
    notes = TextAreaField("Notes (Markdown)", filters=[_normalise], validators=[
        Length(max=NOTE_MAX, message=f"Keep the notes under {NOTE_MAX} characters.")])
    visibility = RadioField("Who can read it", choices=VISIBILITY_CHOICES, default=Visibility.PRIVATE,
                            validators=[InputRequired(message="Choose who can read it.")])
    competencies = CompetencyTagsField("Competencies (optional)")
    new_action_items = TextAreaField("Action items (one per line)", filters=[_normalise], validators=[
        Length(max=20 * ACTION_ITEM_MAX)])

    def validate_new_action_items(self, field):
        for line in self.action_item_lines():
            if len(line) > ACTION_ITEM_MAX:
                raise ValidationError(f"Keep each action item under {ACTION_ITEM_MAX} characters.")

    def action_item_lines(self) -> list[str]:
        return [line.strip() for line in (self.new_action_items.data or "").split("\n") if line.strip()]


class ActionItemForm(FlaskForm):
    text = StringField("New action item", validators=[
        DataRequired(message="Write the action item."),
        Length(max=ACTION_ITEM_MAX, message=f"Keep it under {ACTION_ITEM_MAX} characters.")])


class GoalForm(LockedForm):
    title = StringField("Goal", validators=[
        DataRequired(message="Give the goal a title."),
        Length(max=TITLE_MAX, message=f"Keep the title under {TITLE_MAX} characters.")])
    description = TextAreaField("Description (Markdown, optional)", filters=[_normalise], validators=[
        Length(max=DESCRIPTION_MAX, message=f"Keep the description under {DESCRIPTION_MAX} characters.")])
    competencies = CompetencyTagsField("Competencies (optional)")
    due_on = DateField("Due on (optional)", validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES, default=GoalStatus.OPEN)


class GoalUpdateForm(LockedForm):
    body = TextAreaField("Progress (Markdown)", filters=[_normalise], validators=[
        Length(max=UPDATE_MAX, message=f"Keep the update under {UPDATE_MAX} characters.")])
    status = SelectField("Status", choices=STATUS_CHOICES)


