from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import DateField, HiddenField, StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length, Regexp, URL

from rrp_pwa.sync.uploads import MAX_PACKAGE_BYTES

PACKAGE_TOO_LARGE = f"Choose a package of at most {MAX_PACKAGE_BYTES // 2**20} MB."


class RosterUploadForm(FlaskForm):
    package = FileField("OneRoster package (ZIP)",
                        description="The OneRoster 1.2 CSV export from your MIS. Nothing changes until you confirm.",
                        validators=[FileRequired("Choose the ZIP file your MIS exported."),
                                    FileAllowed(["zip"], "Choose a .zip file."),
                                    FileSize(MAX_PACKAGE_BYTES, message=PACKAGE_TOO_LARGE)])
    submit = SubmitField("Check the package")


class RosterConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    submit = SubmitField("Import these changes")


class TokenForm(FlaskForm):
    name = StringField("What the token is for", description="For example: Arbor connector.",
                       validators=[DataRequired("Say what the token is for."), Length(max=120)])
    submit = SubmitField("Create a token")


class WebhookForm(FlaskForm):
    url = URLField("Endpoint URL", description="The address your connector receives each event at: https:// is best "
                   "(an http:// one is taken too, and anyone on the way can read the ids and links it is sent).",
                   validators=[DataRequired("Enter the endpoint's URL."),
                               URL(require_tld=False, message="Enter a full URL, like https://connector.example/rrp."),
                               Length(max=500)])
    submit = SubmitField("Add the endpoint")



class ExportRangeForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField("From", validators=[DataRequired("Choose the first day.")])
    end = DateField("To", validators=[DataRequired("Choose the last day.")])
    submit = SubmitField("Download CSV")
