from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..domain.notifications import EMAIL_PREFERENCES


class NotificationSettingsForm(FlaskForm):
    notification_email = RadioField("Email me about notifications",
                                    choices=[SelectChoice(key, label) for key, label in EMAIL_PREFERENCES.items()],
                                    validators=[InputRequired(message="Choose how you want to be emailed.")])
