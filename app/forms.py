"""WTForms for the tool's own pages (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp

from .i18n import LANGUAGE_NAMES


class ConfirmRegistrationForm(FlaskForm):
    # The id of a pending registration: secrets.token_urlsafe(24), nothing else.
    pending = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{32}$")])


class LanguageForm(FlaskForm):
    lang = StringField(_l("Language"), validators=[AnyOf(list(LANGUAGE_NAMES))])
    next = HiddenField(validators=[Length(max=500)])


class MarkGivenForm(FlaskForm):
    """The session given (1 when absent); the lesson is in the URL."""

    session = IntegerField(validators=[Optional(), NumberRange(min=1, max=6)])


BANDS = "preschool|primary|basic|upper|tvet"


class ClassBandForm(FlaskForm):
    band = StringField(
        _l("Age group of this class"),
        validators=[AnyOf(BANDS.split("|"))],
    )
    # "<band>-<grade>" (basic-7, preschool-4): the band it is a grade of, checked against
    # ``band``, and the grade; empty means not set.
    grade = StringField(
        _l("Grade"), validators=[Optional(), Regexp(r"^(?:" + BANDS + r")-(?:[1-9]|1[01])$")]
    )


class PlanMoveForm(FlaskForm):
    """Move one place of the year plan: earlier, later, or to the week given."""

    lesson = HiddenField(validators=[DataRequired(), Length(max=100)])
    round = HiddenField(validators=[AnyOf(["1", "2", "3"])])
    move = StringField(validators=[AnyOf(["earlier", "later", "week"])])
    week = IntegerField(_l("Week"), validators=[Optional(), NumberRange(min=1, max=60)])


class PlanResetForm(FlaskForm):
    """Only the CSRF token: the class is in the URL."""


class AddToCourseForm(FlaskForm):
    """The lessons chosen are read from the checkboxes; this carries the CSRF token."""


class QuizActionForm(FlaskForm):
    """Quiz pages' forms: the chosen options are read from the request; this is the token."""


class CoordinatorCodeForm(FlaskForm):
    code = StringField(_l("Coordinator code"), validators=[DataRequired(), Length(min=12, max=40)])


class NewCoordinatorCodeForm(FlaskForm):
    safeguarding = BooleanField(
        _l("Designated safeguarding staff (school psychologist, anti-bullying team)")
    )


class SchoolNameForm(FlaskForm):
    name = StringField(_l("School name"), validators=[DataRequired(), Length(max=255)])


class SurveyActionForm(FlaskForm):
    """Survey forms: the answers are read from the request; this carries the CSRF token."""


class WaveForm(FlaskForm):
    code = StringField(
        _l("Name of the wave (year and season, e.g. 2026-autumn)"),
        validators=[DataRequired(), Length(max=40), Regexp(r"^\d{4}-[a-z0-9]+(?:-[a-z0-9]+)*$")],
    )
    opens_on = DateField(_l("First day"), validators=[DataRequired()])
    closes_on = DateField(_l("Last day"), validators=[DataRequired()])
    consent = StringField(_l("Parents"), validators=[AnyOf(["opt-out", "active"])])
