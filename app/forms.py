"""WTForms for the tool's own pages (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from .i18n import LANGUAGE_NAMES


class ConfirmRegistrationForm(FlaskForm):
    pending = HiddenField(validators=[DataRequired(), Length(max=64)])


class LanguageForm(FlaskForm):
    lang = StringField(_l("Language"), validators=[AnyOf(list(LANGUAGE_NAMES))])
    next = HiddenField(validators=[Length(max=500)])


class AddToCourseForm(FlaskForm):
    title = StringField(
        _l("Activity name in Moodle"),
        validators=[
            DataRequired(message=_l("Give the activity a name.")),
            Length(max=120, message=_l("Keep the name under 120 characters.")),
        ],
    )
