from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain.passwords import MAX_LENGTH, password_problem
from ..forms import EmailAddress


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), EmailAddress()])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class NewPasswordForm(FlaskForm):
    """Choosing a password (from a set-password link): the password policy of domain.passwords."""

    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new_password", message="The two new passwords differ.")])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_new_password(self, field):
        problem = password_problem(field.data, email=self.user.email, name=self.user.name)
        if problem:
            raise ValidationError(problem)


class PasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_LENGTH)])

    def validate_current_password(self, field):
        if not self.user.check_password(field.data):
            raise ValidationError("That is not your current password.")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), EmailAddress()])
    submit = SubmitField("Send me a link")
