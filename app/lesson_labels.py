"""Names of bands, formats and topics as people read them, in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

BAND_NAMES = {
    "preschool": _l("Preschool (ages 3–6)"),
    "primary": _l("Grades 1–4"),
    "basic": _l("Grades 5–9"),
    "upper": _l("Grades 10–11"),
    "tvet": _l("Colleges (TVET)"),
}
FORMAT_NAMES = {
    "micro": _l("10-minute lesson"),
    "thematic": _l("Thematic lesson"),
    "conversation": _l("Class conversation guide"),
    "activity": _l("Activity outside class"),
}
TOPIC_NAMES = {
    "emergency-help": _l("Emergency help"),
    "home-and-play-safety": _l("Safety at home and at play"),
    "body-safety": _l("My body belongs to me"),
    "secrets-and-trusted-adults": _l("Secrets and trusted adults"),
    "feelings": _l("Feelings"),
    "inclusion": _l("Everyone belongs"),
    "water-and-ice": _l("Water and ice"),
    "strangers": _l("People we do not know"),
    "animals": _l("Stray animals"),
    "bullying-basics": _l("What bullying is"),
    "bystanders": _l("Bystanders and defenders"),
    "touch-safety": _l("Safe and unsafe touch"),
    "online-safety": _l("Safety online"),
    "hidden-bullying": _l("Hidden bullying"),
    "cyberbullying": _l("Cyberbullying"),
    "online-risks": _l("Online risks"),
    "help-seeking": _l("Asking for help"),
    "law-and-responsibility": _l("Responsibility and the law"),
    "respect-and-consent": _l("Respect and consent"),
    "fraud-and-money": _l("Fraud and money"),
    "digital-footprint": _l("Digital footprint"),
    "relationships": _l("Healthy relationships"),
    "helping-a-friend": _l("Helping a friend"),
    "rights-and-duties": _l("Rights and duties"),
    "stress": _l("Stress and coping"),
    "safe-work": _l("Safe work"),
    "harassment": _l("Harassment"),
    "hazing": _l("Hazing"),
    "gambling-and-drugs": _l("Gambling and drugs online"),
    "class-agreement": _l("Class agreement"),
    "road-safety": _l("On the road"),
    "fire-safety": _l("Fire safety"),
    "electricity-and-gas": _l("Electricity and gas"),
    "medicines-and-chemicals": _l("Medicines and household chemicals"),
    "personal-details": _l("My name, my address, calling for help"),
    "substances": _l("Vapes, alcohol and drugs"),
    "extremism": _l("Recruitment and extremism"),
    "suicide-prevention": _l("When life feels too heavy"),
    "first-aid": _l("First aid"),
    "trafficking": _l("Job offers and trafficking"),
    "disasters": _l("Earthquakes and floods"),
}
HOLIDAY_NAMES = {
    "autumn": _l("Autumn holidays"),
    "winter": _l("Winter holidays"),
    "spring": _l("Spring holidays"),
}


def grade_name(band: str, grade: int) -> str:
    """A grade as teachers say it: a preschool group by its ages, a college year, a grade."""
    if band == "preschool":
        return _("Group of ages %(low)d–%(high)d", low=grade, high=grade + 1)
    if band == "tvet":
        return _("Year %(num)d of college", num=grade)
    return _("Grade %(num)d", num=grade)
