"""Forms of peer feedback: the request, the peer's answers (built per request) and a decline."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from ..models.peer_feedback import ANSWER_MAX, DECLINE_REASON_MAX
from ..once import OneShotForm


def _normalise(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n")


def _ids(values) -> list[int]:
    """Chosen people as ids; anything else is dropped and reported by the request rules."""
    return [int(value) for value in values or [] if str(value).isdigit()]


class CheckboxesField(SelectMultipleField):
    """Checkboxes whose choices are checked by the peer feedback rules (with their own messages),
    not by WTForms."""

    def pre_validate(self, form):
        pass


class RequestForm(OneShotForm):
    peers = CheckboxesField("Colleagues to ask (up to 5)", coerce=str, filters=[_ids])
    competencies = CheckboxesField("Competencies to ask about")
    due_on = DateField("Answers due by", validators=[Optional()])


class AnswerFormBase(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    action = HiddenField(default="save")


def answer_field(key: str) -> str:
    return f"answer-{key}"


def rating_field(key: str) -> str:
    return f"rating-{key}"


def build_answer_form(competency_names: dict[str, str], options: dict[str, list[tuple[str, str]]],
                      saved: dict, lock_version: int, formdata=None) -> FlaskForm:
    """A text area and an optional rating per competency asked about, filled from the saved draft
    (or, on a POST, exactly what was typed)."""

    class AnswerForm(AnswerFormBase):
        pass

    data = {"lock_version": lock_version}
    for key, choices in options.items():
        name = competency_names.get(key, key)
        setattr(AnswerForm, answer_field(key), TextAreaField(
            f"Your feedback on {name} (Markdown)", filters=[_normalise],
            validators=[Length(max=ANSWER_MAX, message=f"Keep it under {ANSWER_MAX} characters.")]))
        setattr(AnswerForm, rating_field(key), SelectField(
            f"Rating for {name} (optional)", choices=[SelectChoice(value, label) for value, label in choices],
            default="", validate_choice=False))
        if key in saved:
            data[answer_field(key)] = saved[key].text
            data[rating_field(key)] = saved[key].rating or ""
    return AnswerForm(formdata=formdata, data=data)


class DeclineForm(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    reason = TextAreaField("Why not? (optional, shown to who asked)", filters=[_normalise], validators=[
        Length(max=DECLINE_REASON_MAX, message=f"Keep the reason under {DECLINE_REASON_MAX} characters.")])
