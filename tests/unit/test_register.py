"""The register of the interface: who is addressed with сен / ты, and catalogs whose informal
variants really are informal (and whose formal entries really are formal)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from app.i18n import INFORMAL, is_informal
from app.services.actors import Actor, ActorRole

ROOT = Path(__file__).resolve().parents[2]

# Simple markers, enough to catch a variant left in the wrong register.
KK_FORMAL = re.compile(
    r"\bсіз\w*|\bөзіңіз\w*"  # сіз, сізге, өзіңізді …
    r"|\w*(?<!\bма)ң[ыі]з\w*"  # курсыңыздан, ашыңыз, бердіңіз (not маңызды)
    r"|\w+[аейі]с[ыі]з\b",  # жалғастырасыз, сезінбейсіз
    re.IGNORECASE,
)
KK_INFORMAL = re.compile(
    r"\b(?:сен|сені|саған|сенің|сенімен|сенен|сенде|өзің|өзіңе|өзіңді|өзіңнің)\b"
    r"|\w+[аейі]с[ыі]ң\b",  # жалғастырасың, сезінбейсің
    re.IGNORECASE,
)
RU_FORMAL = re.compile(
    r"\b(?:вы|вас|вам|вами|ваш\w*)\b"
    r"|\b(?!сайте\b)\w+(?:йте|ьте|ите)\b",  # откройте, отправьте, выберите (not «на сайте»)
    re.IGNORECASE,
)
RU_INFORMAL = re.compile(
    r"\b(?:ты|тебя|тебе|тобой|тво[йяеёи]\w*)\b|\w+(?:ешь|ёшь|ишь)\b", re.IGNORECASE
)
MARKERS = {"kk": (KK_FORMAL, KK_INFORMAL), "ru": (RU_FORMAL, RU_INFORMAL)}


def _catalog(lang: str) -> Catalog:
    with (ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _variants(lang: str) -> list[tuple[str, str, str]]:
    """(msgid, formal text, informal text) of every text in the reader's register."""
    catalog = _catalog(lang)
    found = []
    for message in catalog:
        if message.context == INFORMAL:
            formal = catalog.get(message.id)
            assert formal is not None, f"{lang}: {message.id!r} has no formal entry"
            found.append((message.id, formal.string, message.string))
    return found


def test_the_markers_tell_the_registers_apart() -> None:
    assert KK_FORMAL.search("Көмек керек пе немесе өзіңізді қауіпсіз сезінбейсіз бе?")
    assert not KK_FORMAL.search("Көмек керек пе немесе өзіңді қауіпсіз сезінбейсің бе?")
    assert not KK_FORMAL.search("Бұл маңызды.")
    assert KK_INFORMAL.search("Көмек керек пе немесе өзіңді қауіпсіз сезінбейсің бе?")
    assert RU_FORMAL.search("Нужна помощь или вы чувствуете себя в опасности?")
    assert RU_FORMAL.search("Откройте тест снова.")
    assert not RU_FORMAL.search("Нужна помощь или ты чувствуешь себя в опасности? Это на сайте.")
    assert RU_INFORMAL.search("если тебе или кому-то другому")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_informal_variants_use_sen_and_formal_ones_siz(lang: str) -> None:
    formal_marker, informal_marker = MARKERS[lang]
    variants = _variants(lang)
    assert len(variants) > 40
    problems = []
    for msgid, formal, informal in variants:
        if formal_marker.search(formal) and informal == formal:
            problems.append(f"the informal text is the formal one: {msgid!r}")
        if found := formal_marker.search(informal):
            problems.append(f"«{found.group()}» in the informal text of {msgid!r}")
        if found := informal_marker.search(formal):
            problems.append(f"«{found.group()}» in the formal text of {msgid!r}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


def test_english_holds_the_same_text_twice() -> None:
    different = [msgid for msgid, formal, informal in _variants("en") if formal != informal]
    assert not different


def test_the_known_complaint_is_answered() -> None:
    kk = {msgid: informal for msgid, _formal, informal in _variants("kk")}
    ru = {msgid: informal for msgid, _formal, informal in _variants("ru")}
    assert "сезінбейсің" in kk["Need help or feel unsafe?"]
    assert "чувствуешь" in ru["Need help or feel unsafe?"]
    assert "саған" in kk["if you or someone else is in danger right now"]
    assert "тебе" in ru["if you or someone else is in danger right now"]


def _actor(role: ActorRole, band: str | None) -> Actor:
    return Actor(person_id=1, platform_id=1, role=role, school_class_id=1, launch_id="l", band=band)


@pytest.mark.parametrize(
    ("role", "band", "informal"),
    [
        (ActorRole.STUDENT, "preschool", True),
        (ActorRole.STUDENT, "primary", True),
        (ActorRole.STUDENT, "basic", True),
        (ActorRole.STUDENT, "upper", False),
        (ActorRole.STUDENT, "tvet", False),
        (ActorRole.STUDENT, None, False),
        (ActorRole.STUDENT, "nursery", False),
        (ActorRole.TEACHER, "basic", False),
        (ActorRole.COORDINATOR, "primary", False),
    ],
)
def test_who_is_addressed_informally(role: ActorRole, band: str | None, informal: bool) -> None:
    assert is_informal(_actor(role, band)) is informal


def test_nobody_launched_is_addressed_formally() -> None:
    assert is_informal(None) is False
