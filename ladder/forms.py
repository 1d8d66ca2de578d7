"""Forms and validators shared by several blueprints."""
from flask_wtf import FlaskForm
from wtforms import ValidationError

from .domain.emails import EmailProblem, normalise_email


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
