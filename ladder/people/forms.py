from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import verdict_field
from ..models.reviews import RATIONALE_MAX
from ..once import OneShotForm


class VerdictForm(OneShotForm):
    target = SelectField("Target level", validators=[DataRequired()])
    verdict = verdict_field()
    rationale = TextAreaField("Rationale", validators=[
        DataRequired(message="Write why: the rationale is what makes a verdict useful later."),
        Length(max=RATIONALE_MAX, message=f"Keep the rationale under {RATIONALE_MAX} characters.")])
