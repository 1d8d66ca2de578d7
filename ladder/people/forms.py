from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..models.reviews import RATIONALE_MAX, VERDICTS
from ..once import OneShotForm


class VerdictForm(OneShotForm):
    target = SelectField("Target level", validators=[DataRequired()])
    verdict = SelectField("Verdict", choices=[SelectChoice(k, v) for k, v in VERDICTS.items()],
                          validators=[DataRequired()])
    rationale = TextAreaField("Rationale", validators=[
        DataRequired(message="Write why: the rationale is what makes a verdict useful later."),
        Length(max=RATIONALE_MAX, message=f"Keep the rationale under {RATIONALE_MAX} characters.")])
