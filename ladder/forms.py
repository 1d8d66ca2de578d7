"""Forms shared by several blueprints."""
from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that changes state (share, open, publish, end a pairing...): only the CSRF token to check."""
