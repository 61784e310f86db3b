"""Forms and labels of "Talk to someone" (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, Length

from .i18n import lazy_you
from .services import talk

WHOM_LABELS = {
    "psychologist": _l("The school psychologist"),
    "class_teacher": _l("My class teacher"),
    "anti_bullying": _l("The anti-bullying team (DosbolLIKE)"),
}
CATEGORY_LABELS = {
    "bullied": _l("I am being bullied"),
    "someone_else": _l("Someone else is being bullied"),
    "online": _l("Something online"),
    "home": _l("Something at home"),
    "sad": _l("I feel sad or worried"),
    "other": _l("Something else"),
    "unsaid": _l("I'd rather say it in person"),
}
URGENCY_LABELS = {"soon": _l("Soon"), "today": _l("Today")}
STATUS_LABELS = {
    "new": _l("New"),
    "contacted": _l("Talked with the child"),
    "referred": _l("Passed on for help"),
    "closed": _l("Closed"),
}


class TalkRequestForm(FlaskForm):
    # Radio buttons rendered from the label maps above; only their codes are accepted.
    whom = StringField(lazy_you("Who do you want to talk to?"), validators=[AnyOf(talk.WHOM)])
    category = StringField(
        _l("What is it about?"), default="unsaid", validators=[AnyOf(talk.CATEGORIES)]
    )
    urgency = StringField(_l("When?"), default="soon", validators=[AnyOf(talk.URGENCIES)])
    # Only when Moodle does not share names with Qadam.
    name = StringField(
        lazy_you("Your first and last name"), validators=[Length(max=talk.TYPED_NAME_MAX)]
    )


class TalkUpdateForm(FlaskForm):
    status = StringField(_l("Status"), validators=[AnyOf(talk.STATUSES)])
    note = TextAreaField(_l("Note"), validators=[Length(max=talk.NOTE_MAX)])
