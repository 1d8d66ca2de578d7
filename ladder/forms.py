"""Forms and validators shared by several blueprints."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, ValidationError
from wtforms.validators import DataRequired

from .domain.emails import EmailProblem, normalise_email
from .models.reviews import VERDICTS


class EmailAddress:
    """The one email rule (ladder.domain.emails) as a WTForms validator; the field's data
    becomes the normalised address."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        try:
            field.data = normalise_email(field.data)
        except EmailProblem as problem:
            raise ValidationError(str(problem)) from None


class ConfirmForm(FlaskForm):
    """A button that changes state (share, open, publish, end a pairing...): only the CSRF token to check."""


def verdict_field(label: str = "Verdict") -> SelectField:
    """The verdict menu (a person page's verdict, a change in calibration): nothing is chosen
    until someone chooses, so no verdict is recorded by leaving the default."""
    return SelectField(label, choices=[SelectChoice("", "Choose a verdict"),
                                       *(SelectChoice(k, v) for k, v in VERDICTS.items())],
                       default="", validators=[DataRequired(message="Choose a verdict.")])


class IrreversibleForm(FlaskForm):
    """An action its author cannot take back (submit, share, release): a ticked box confirms it.
    A plain checkbox, so it works without JavaScript; the page says what the action does."""

    confirm = BooleanField("I understand that this cannot be undone.",
                           validators=[DataRequired(message="Tick the box to confirm: this cannot be undone.")])
