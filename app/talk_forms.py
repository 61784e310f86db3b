"""Forms and labels of "Talk to someone" (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

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


def _choices(labels: dict[str, object], order: tuple[str, ...]) -> list[tuple[str, object]]:
    return [(code, labels[code]) for code in order]


class TalkRequestForm(FlaskForm):
    whom = RadioField(
        _l("Who do you want to talk to?"),
        choices=_choices(WHOM_LABELS, talk.WHOM),
        validators=[InputRequired()],
    )
    category = RadioField(
        _l("What is it about?"),
        choices=_choices(CATEGORY_LABELS, talk.CATEGORIES),
        default="unsaid",
        validators=[InputRequired()],
    )
    urgency = RadioField(
        _l("When?"),
        choices=_choices(URGENCY_LABELS, talk.URGENCIES),
        default="soon",
        validators=[InputRequired()],
    )
    # Only when Moodle does not share names with Qadam.
    name = StringField(_l("Your name and class"), validators=[Length(max=talk.TYPED_NAME_MAX)])


class TalkUpdateForm(FlaskForm):
    status = RadioField(
        _l("Status"), choices=_choices(STATUS_LABELS, talk.STATUSES), validators=[InputRequired()]
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=talk.NOTE_MAX)])
