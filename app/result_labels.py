"""How survey results read on pages and in exports: why a cell is not shown, and what kind of
result an indicator is, in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .help_contacts import help_values
from .services.disclosure import GATE, K
from .services.result_charts import ChartWords
from .services.result_exports import TrendWords, Words

TOO_FEW = _l("Not shown: too few answers to protect anonymity")
STATUS_MESSAGES = {
    "below_gate": TOO_FEW,
    "suppressed_primary": TOO_FEW,
    "suppressed_secondary": _l(
        "Not shown: hidden as well, so that other hidden numbers cannot be worked out"
    ),
}
REPORTED_AS = {
    "prevalence": _l("Students who said so"),
    "climate": _l("Class climate (not a bullying rate)"),
    "observation": _l("The teacher's own observations"),
}


def status_message(status: str) -> str:
    """The plain-language reason a cell is not shown ("" for a shown cell)."""
    message = STATUS_MESSAGES.get(status)
    return str(message) if message is not None else ""


def export_words(wave_code: str = "") -> Words:
    """What the exported files say, in the current language."""
    values = help_values()
    return Words(
        headers=[
            _("Level"),
            _("Class or school"),
            _("Respondents"),
            _("Indicator code"),
            _("Indicator"),
            _("Kind"),
            _("Numerator"),
            _("Denominator"),
            _("Percent"),
            _("Status"),
            _("Why not shown"),
        ],
        levels={"school": _("School"), "class": _("Class")},
        kinds={code: str(word) for code, word in REPORTED_AS.items()},
        reasons={code: str(word) for code, word in STATUS_MESSAGES.items()},
        sheets={"school": _("School"), "class": _("Classes"), "method": _("Method")},
        method_lines=method_lines(),
        title=_("Survey results"),
        wave=_("Wave: %(code)s", code=wave_code),
        answered=_("%(count)s answered."),
        result=_("%(percent)s%% (%(numerator)s of %(denominator)s)"),
        table_headers=[_("Indicator"), _("Kind"), _("Result")],
        method_title=_("How anonymity is protected"),
        help_title=_("Need help or feel unsafe?"),
        help_lines=[
            f"{values['contact_centre']} — "
            + _(
                "%(name)s contact centre for children and families: free, any time, day or "
                "night. You can also write to it through the QR code in your school.",
                name=values["centre_name"],
            ),
            f"{values['child_line']} — " + _("helpline for children and young people"),
            f"{values['emergency']} — " + _("if you or someone else is in danger right now"),
        ],
    )


def method_lines() -> list[str]:
    """The disclosure rules (PRIVACY.md section 2) in plain words."""
    return [
        _(
            "Nothing is shown for a class or a school with fewer than %(gate)s respondents.",
            gate=GATE,
        ),
        _(
            "A number is shown only when at least %(k)s respondents said so and at least "
            "%(k)s did not.",
            k=K,
        ),
        _(
            "When a number is hidden, another one is hidden as well, so that it cannot be "
            "worked out by subtraction from the school's total."
        ),
        _(
            "Before anything is shown or exported, a check tries to work out every hidden "
            "number from everything published for the wave; if one could be, nothing is "
            "published."
        ),
        _(
            "A percentage is of the respondents who answered the questions of that indicator, "
            "rounded to a whole number."
        ),
    ]


def chart_words(name: str) -> ChartWords:
    """The words of a unit's bar chart, in the current language."""
    return ChartWords(
        name=_(
            "Bar chart of the results of %(name)s: the share for each indicator. "
            "The numbers are in the table below.",
            name=name,
        ),
        percent=_("%(percent)s%%"),
        statuses={code: str(word) for code, word in STATUS_MESSAGES.items()},
    )


def trend_chart_words(name: str) -> ChartWords:
    """The words of a unit's autumn-to-spring chart, in the current language."""
    return ChartWords(
        name=_(
            "Bar chart of %(name)s in autumn and in spring: the share for each indicator. "
            "The numbers are in the table below.",
            name=name,
        ),
        percent=_("%(percent)s%%"),
        statuses={code: str(word) for code, word in STATUS_MESSAGES.items()},
        series=(_("Autumn"), _("Spring")),
    )


NOT_COMPARED = _l("Not compared: a value of one of the waves is not shown")


def change_text(change: int | None) -> str:
    """A change in percentage points in words, or why there is none."""
    if change is None:
        return str(NOT_COMPARED)
    if change == 0:
        return _("no change")
    sign = "+" if change > 0 else "−"
    return _("%(sign)s%(points)s points", sign=sign, points=abs(change))


def trend_words(autumn_code: str, spring_code: str) -> TrendWords:
    """What the trend files say, in the current language."""
    return TrendWords(
        headers=[
            _("Level"),
            _("Class or school"),
            _("Indicator code"),
            _("Indicator"),
            _("Kind"),
            _("Respondents in autumn"),
            _("Numerator in autumn"),
            _("Denominator in autumn"),
            _("Percent in autumn"),
            _("Status in autumn"),
            _("Respondents in spring"),
            _("Numerator in spring"),
            _("Denominator in spring"),
            _("Percent in spring"),
            _("Status in spring"),
            _("Change in percentage points"),
            _("Why not shown"),
        ],
        title=_("From autumn to spring"),
        waves=_("Autumn: %(autumn)s. Spring: %(spring)s.", autumn=autumn_code, spring=spring_code),
        answered=_("Autumn: %(autumn)s answered. Spring: %(spring)s answered."),
        table_headers=[_("Indicator"), _("Autumn"), _("Spring"), _("Change")],
        not_compared=str(NOT_COMPARED),
        series=(_("Autumn"), _("Spring")),
        change=_("%(sign)s%(points)s points"),
        no_change=_("no change"),
        method_lines=[
            _(
                "A change is shown only where the value is shown in both waves; a class or "
                "school with fewer than %(gate)s respondents in either wave is not compared.",
                gate=GATE,
            ),
            _("The change is the spring percentage minus the autumn percentage, in points."),
        ],
    )
