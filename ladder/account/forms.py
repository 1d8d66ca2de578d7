from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class ChangePasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=12, max=128, message="Use 12 to 128 characters.")])
    confirm = PasswordField("New password again", validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
