"""Disclosure control for published counts (PRIVACY.md section 2), on any one published tree.

Pure: no database, no Flask. Survey results use it for class → school; area aggregates can use
it for class → school → district → region with their own ``Rules`` per level.

The input is a tree of ``Unit``s (a key, its parent's key, its level, its respondents, and per
indicator code the true ``(numerator, denominator)``); a parent's counts are the sums of its
children's that have the same code. ``protect`` returns every cell with its status:

1. **gate** — a unit with fewer than ``Rules.gate`` respondents (or, for areas, fewer than
   ``Rules.min_contributors`` schools) shows no cell: ``below_gate``;
2. **cell rule** — a count ``x`` of ``n`` is shown only if ``x >= k`` and ``n - x >= k``:
   otherwise ``suppressed_primary``;
3. **complementary suppression** — every sum (a parent and its children, per code) has zero or
   at least two hidden cells: when one is hidden alone, the smallest shown sibling (or, with no
   sibling, the parent) is hidden too, ``suppressed_secondary``; repeated until stable;
4. **recoverability check** — ``find_derivations`` plays the reader who holds every published
   view of the tree (each unit's respondents, every shown cell, each hidden cell's status) and
   derives bounds for every hidden numerator, its complement ``n - x`` and its denominator: by
   subtraction along every sum, with ``0 <= x <= n <= respondents``, ``n = x + (n - x)`` and what
   a status says (secondary: both ``x`` and ``n - x`` are at least ``k``; primary: one of them
   is below ``k``). While a hidden numerator or complement is pinned to one value, one more
   cell of a sum it is in is hidden; if none is left to hide, ``NotPublishable`` is raised.

Denominators are reported when derivable but do not block: they count respondents who
answered an item, respondents are published (the participation count), and when everyone
answers, every denominator equals its unit's respondents. What must never be derivable is how
many met the rule (``x``) or how many did not (``n - x``).

Codes are independent (each code is its own set of sums), so each is protected on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

K = 5
GATE = 10


class Status(StrEnum):
    OK = "ok"
    BELOW_GATE = "below_gate"
    SUPPRESSED_PRIMARY = "suppressed_primary"
    SUPPRESSED_SECONDARY = "suppressed_secondary"

    @property
    def hidden(self) -> bool:
        return self is not Status.OK


@dataclass(frozen=True)
class Rules:
    """The rules of one level; PRIVACY.md's numbers are the floor (settings only go up)."""

    k: int = K
    gate: int = GATE
    min_contributors: int = 0  # for areas: the schools a unit must cover

    def __post_init__(self) -> None:
        if self.k < K or self.gate < GATE or self.min_contributors < 0:
            raise ValueError("disclosure rules may only be made stricter than PRIVACY.md's")

    @property
    def method(self) -> str:
        extra = f",s{self.min_contributors}" if self.min_contributors else ""
        return f"sdc-v1:gate{self.gate},k{self.k}{extra}"


@dataclass(frozen=True)
class Unit:
    key: str
    parent: str | None
    level: str
    respondents: int
    counts: Mapping[str, tuple[int, int]]  # code -> (numerator, denominator), true values
    contributors: int = 0


@dataclass(frozen=True)
class Cell:
    """A cell as published: the numbers only when ``status`` is ``ok``."""

    unit: str
    code: str
    status: Status
    numerator: int | None
    denominator: int | None


@dataclass(frozen=True)
class Derivation:
    unit: str
    code: str
    quantity: str  # numerator | complement | denominator
    value: int

    @property
    def blocking(self) -> bool:
        return self.quantity != "denominator"


class NotPublishable(Exception):
    """Publishing would let a hidden count be worked out; nothing may be shown."""

    def __init__(self, reason: str, derivations: Sequence[Derivation] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.derivations = tuple(derivations)


@dataclass(frozen=True)
class View:
    """What every reader of the published tree knows: its shape, the respondents, the cells."""

    parents: Mapping[str, str | None]
    levels: Mapping[str, str]
    respondents: Mapping[str, int]
    cells: Mapping[tuple[str, str], Cell]


RulesArg = Rules | Mapping[str, Rules]
Size = Callable[[str], tuple[int, int, str]]


def rules_of(rules: RulesArg, level: str) -> Rules:
    return rules if isinstance(rules, Rules) else rules.get(level, Rules())


# -- protecting a tree ----------------------------------------------------------------------


def protect(units: Sequence[Unit], rules: RulesArg = Rules()) -> View:
    """Every cell of the tree with its status; raises ``NotPublishable`` if it cannot be made
    safe, and ``ValueError`` for a malformed tree (a parent's counts not its children's sum)."""
    _validate(units)
    by_key = {unit.key: unit for unit in units}
    parents = {unit.key: unit.parent for unit in units}
    levels = {unit.key: unit.level for unit in units}
    respondents = {unit.key: unit.respondents for unit in units}
    cells: dict[tuple[str, str], Cell] = {}
    for code in sorted({code for unit in units for code in unit.counts}):
        status = {
            unit.key: _first_status(unit, code, rules_of(rules, unit.level))
            for unit in units
            if code in unit.counts
        }
        _complementary(code, status, by_key, View(parents, levels, respondents, {}), rules)
        for key, found in status.items():
            x, n = by_key[key].counts[code]
            shown = found is Status.OK
            cells[(key, code)] = Cell(key, code, found, x if shown else None, n if shown else None)
    view = View(parents, levels, respondents, cells)
    require_publishable(view, rules)
    return view


def _validate(units: Sequence[Unit]) -> None:
    keys = {unit.key for unit in units}
    if len(keys) != len(units):
        raise ValueError("unit keys repeat")
    for unit in units:
        if unit.parent is not None and unit.parent not in keys:
            raise ValueError(f"{unit.key}: parent {unit.parent} is not in the tree")
        for code, (x, n) in unit.counts.items():
            if not 0 <= x <= n <= unit.respondents:
                raise ValueError(f"{unit.key} {code}: counts out of range")
    for parent in units:
        children = [u for u in units if u.parent == parent.key]
        for code, counts in parent.counts.items():
            having = [c.counts[code] for c in children if code in c.counts]
            if having and counts != (sum(x for x, _ in having), sum(n for _, n in having)):
                raise ValueError(f"{parent.key} {code}: not the sum of its children")


def _first_status(unit: Unit, code: str, rules: Rules) -> Status:
    if unit.respondents < rules.gate or unit.contributors < rules.min_contributors:
        return Status.BELOW_GATE
    x, n = unit.counts[code]
    return Status.OK if x >= rules.k and n - x >= rules.k else Status.SUPPRESSED_PRIMARY


def _sums(parents: Mapping[str, str | None], present: Iterable[str]) -> list[list[str]]:
    """Each sum of one code: ``[parent, child, child, …]`` over the units that have it."""
    present = set(present)
    groups: dict[str, list[str]] = {}
    for key in sorted(present):
        parent = parents.get(key)
        if parent is not None and parent in present:
            groups.setdefault(parent, []).append(key)
    return [[parent, *children] for parent, children in sorted(groups.items())]


def _complementary(
    code: str,
    status: dict[str, Status],
    units: Mapping[str, Unit],
    shape: View,
    rules: RulesArg,
) -> None:
    sums = _sums(shape.parents, status)

    def size(key: str) -> tuple[int, int, str]:
        x, n = units[key].counts[code]
        return (n, x, key)

    def hide_one(options: list[str]) -> None:
        """Hide the first option that its own status does not give away (a secondary cell
        of 10 respondents is 5 of 10), or the first of all."""
        for key in options:
            status[key] = Status.SUPPRESSED_SECONDARY
            if all(d.unit != key for d in _blocking(code, status, units, shape, rules)):
                return
            status[key] = Status.OK
        status[options[0]] = Status.SUPPRESSED_SECONDARY

    while True:
        lone = _lone_hidden(sums, status)
        if lone is not None:
            members, hidden = lone
            hide_one(_candidates(members, hidden, status, size))
            continue
        found = _blocking(code, status, units, shape, rules)
        if not found:
            return
        derived = found[0]
        around = [m for m in sums if derived.unit in m]
        around.sort(key=lambda m: m[0] != shape.parents.get(derived.unit))  # siblings first
        options = [k for m in around for k in _candidates(m, derived.unit, status, size)]
        if not options:
            raise NotPublishable("a hidden count could be worked out", found)
        hide_one(options)


def _lone_hidden(
    sums: list[list[str]], status: Mapping[str, Status]
) -> tuple[list[str], str] | None:
    for members in sums:
        hidden = [key for key in members if status[key].hidden]
        if len(hidden) == 1:
            return members, hidden[0]
    return None


def _candidates(
    members: list[str], hidden: str, status: Mapping[str, Status], size: Size
) -> list[str]:
    """Shown cells of a sum to hide next: the smallest children first, the parent last."""
    parent, children = members[0], members[1:]
    shown = sorted((k for k in children if k != hidden and not status[k].hidden), key=size)
    if not status[parent].hidden and parent != hidden:
        shown.append(parent)
    return shown


def _blocking(
    code: str,
    status: Mapping[str, Status],
    units: Mapping[str, Unit],
    shape: View,
    rules: RulesArg,
) -> list[Derivation]:
    cells = {}
    for key, found in status.items():
        x, n = units[key].counts[code]
        shown = found is Status.OK
        cells[(key, code)] = Cell(key, code, found, x if shown else None, n if shown else None)
    view = View(shape.parents, shape.levels, shape.respondents, cells)
    return [d for d in find_derivations(view, rules) if d.blocking]


# -- the recoverability check ---------------------------------------------------------------


def require_publishable(view: View, rules: RulesArg = Rules()) -> None:
    """Raise ``NotPublishable`` when any hidden numerator or complement can be derived."""
    found = [d for d in find_derivations(view, rules) if d.blocking]
    if found:
        first = found[0]
        raise NotPublishable(
            f"the {first.quantity} of {first.code} in {first.unit} can be derived", found
        )


def find_derivations(view: View, rules: RulesArg = Rules()) -> list[Derivation]:
    """Every hidden value that a reader of ``view`` can pin to one number."""
    found: list[Derivation] = []
    for code in sorted({code for _unit, code in view.cells}):
        found.extend(_derive_code(view, code, rules))
    return found


class _Bounds:
    """Integer bounds of a cell's numerator ``x``, complement ``y`` and denominator ``n``."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo: dict[str, int], hi: dict[str, int]) -> None:
        self.lo = lo
        self.hi = hi


def _derive_code(view: View, code: str, rules: RulesArg) -> list[Derivation]:
    cells = {unit: cell for (unit, c), cell in view.cells.items() if c == code}
    ks = {unit: rules_of(rules, view.levels[unit]).k for unit in cells}
    bounds = {
        unit: _initial(cell, view.respondents[unit], ks[unit]) for unit, cell in cells.items()
    }
    sums = _sums(view.parents, cells)
    changed = True
    while changed:
        changed = False
        for unit, cell in cells.items():
            changed |= _tighten_sum(bounds[unit], "n", [(bounds[unit], "x"), (bounds[unit], "y")])
            if cell.status is Status.SUPPRESSED_PRIMARY:
                changed |= _primary(bounds[unit], ks[unit])
        for members in sums:
            for q in ("x", "y", "n"):
                parts = [(bounds[m], q) for m in members[1:]]
                changed |= _tighten_sum(bounds[members[0]], q, parts)
    found = []
    for unit, cell in sorted(cells.items()):
        b = bounds[unit]
        if not cell.status.hidden or b.hi["n"] == 0:
            continue  # shown, or nobody answered: nothing about anyone to protect
        for q, name in (("x", "numerator"), ("y", "complement"), ("n", "denominator")):
            if b.lo[q] == b.hi[q]:
                found.append(Derivation(unit, code, name, b.lo[q]))
    return found


def _initial(cell: Cell, respondents: int, k: int) -> _Bounds:
    if not cell.status.hidden:
        x, n = cell.numerator or 0, cell.denominator or 0
        return _Bounds({"x": x, "y": n - x, "n": n}, {"x": x, "y": n - x, "n": n})
    low = k if cell.status is Status.SUPPRESSED_SECONDARY else 0
    return _Bounds({"x": low, "y": low, "n": 2 * low}, dict.fromkeys("xyn", respondents))


def _tighten_sum(total: _Bounds, q: str, parts: list[tuple[_Bounds, str]]) -> bool:
    """Bounds consistency of ``total[q] = sum(parts)``; whether anything moved."""
    changed = False
    lo_sum = sum(b.lo[p] for b, p in parts)
    hi_sum = sum(b.hi[p] for b, p in parts)
    if lo_sum > total.lo[q]:
        total.lo[q], changed = lo_sum, True
    if hi_sum < total.hi[q]:
        total.hi[q], changed = hi_sum, True
    for b, p in parts:
        lo = total.lo[q] - (hi_sum - b.hi[p])
        hi = total.hi[q] - (lo_sum - b.lo[p])
        if lo > b.lo[p]:
            b.lo[p], changed = lo, True
        if hi < b.hi[p]:
            b.hi[p], changed = hi, True
    _consistent(total)
    return changed


def _primary(b: _Bounds, k: int) -> bool:
    """A primary cell has ``x < k`` or ``n - x < k``: when one side is known to be at least
    ``k``, the other is below it."""
    changed = False
    for side, other in (("x", "y"), ("y", "x")):
        if b.lo[side] >= k and b.hi[other] > k - 1:
            b.hi[other], changed = k - 1, True
    _consistent(b)
    return changed


def _consistent(b: _Bounds) -> None:
    if any(b.lo[q] > b.hi[q] for q in "xyn"):
        raise ValueError("the published view contradicts itself")
