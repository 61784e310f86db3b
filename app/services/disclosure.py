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

**Fixed cells and readers.** ``fixed`` gives cells whose status was published before (a
school's and its classes' when areas are added above them): they keep it, and complementary
suppression hides only other cells. ``readers`` names further readers who see only part of the
tree (the risk layer sees the area cells but no school): the check runs for each of them too,
and a cell is hidden until none of them can derive anything.

A hidden cell whose children are all shown (or are themselves such cells) is no secret to a
reader of the children: an area below its gate whose schools are all shown adds up to what
those schools show. Such a derivation is not reported; one made with the help of the cell is.

Denominators are reported when derivable but do not block: they count respondents who
answered an item, respondents are published (the participation count), and when everyone
answers, every denominator equals its unit's respondents. What must never be derivable is how
many met the rule (``x``) or how many did not (``n - x``).

Codes are independent (each code is its own set of sums), so each is protected on its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

K = 5
GATE = 10


class Status(StrEnum):
    OK = "ok"
    BELOW_GATE = "below_gate"
    SUPPRESSED_PRIMARY = "suppressed_primary"
    SUPPRESSED_SECONDARY = "suppressed_secondary"

    def __init__(self, value: str) -> None:
        # A plain attribute, not a property: the recoverability check reads it very often.
        self.hidden = value != "ok"


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
Fixed = Mapping[tuple[str, str], Status]
Readers = Sequence[Collection[str]]


def rules_of(rules: RulesArg, level: str) -> Rules:
    return rules if isinstance(rules, Rules) else rules.get(level, Rules())


# -- protecting a tree ----------------------------------------------------------------------


def protect(
    units: Sequence[Unit],
    rules: RulesArg = Rules(),
    *,
    fixed: Fixed | None = None,
    readers: Readers = (),
) -> View:
    """Every cell of the tree with its status; raises ``NotPublishable`` if it cannot be made
    safe, and ``ValueError`` for a malformed tree (a parent's counts not its children's sum).

    ``fixed``: (unit, code) -> the status a cell was already published with; such cells keep
    it. ``readers``: the units each further reader sees (see the module's docstring)."""
    _validate(units)
    fixed = fixed or {}
    by_key = {unit.key: unit for unit in units}
    parents = {unit.key: unit.parent for unit in units}
    levels = {unit.key: unit.level for unit in units}
    respondents = {unit.key: unit.respondents for unit in units}
    shape = View(parents, levels, respondents, {})
    cells: dict[tuple[str, str], Cell] = {}
    for code in sorted({code for unit in units for code in unit.counts}):
        status = {
            unit.key: fixed.get((unit.key, code))
            or _first_status(unit, code, rules_of(rules, unit.level))
            for unit in units
            if code in unit.counts
        }
        frozen = {key for key in status if (key, code) in fixed}
        # Each code is its own set of sums: this ends only when its check finds nothing.
        _complementary(code, status, by_key, shape, rules, frozen, readers)
        cells.update(_cells(code, status, by_key))
    return View(parents, levels, respondents, cells)


def _cells(
    code: str, status: Mapping[str, Status], units: Mapping[str, Unit]
) -> dict[tuple[str, str], Cell]:
    found = {}
    for key, state in status.items():
        x, n = units[key].counts[code]
        shown = state is Status.OK
        found[(key, code)] = Cell(key, code, state, x if shown else None, n if shown else None)
    return found


def _validate(units: Sequence[Unit]) -> None:
    keys = {unit.key for unit in units}
    if len(keys) != len(units):
        raise ValueError("unit keys repeat")
    children: dict[str, list[Unit]] = {}
    for unit in units:
        if unit.parent is not None and unit.parent not in keys:
            raise ValueError(f"{unit.key}: parent {unit.parent} is not in the tree")
        if unit.parent is not None:
            children.setdefault(unit.parent, []).append(unit)
        for code, (x, n) in unit.counts.items():
            if not 0 <= x <= n <= unit.respondents:
                raise ValueError(f"{unit.key} {code}: counts out of range")
    for parent in units:
        below = children.get(parent.key, [])
        for code, counts in parent.counts.items():
            having = [c.counts[code] for c in below if code in c.counts]
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
    frozen: Collection[str] = frozenset(),
    readers: Readers = (),
) -> None:
    if not any(state.hidden for state in status.values()):
        return  # nothing hidden: nothing to protect
    sums = _sums(shape.parents, status)
    readings = [_reading(shape, status, rules)]
    readings += [_reading(_restricted(shape, keys), status, rules) for keys in readers]
    counts = {key: units[key].counts[code] for key in status}

    def size(key: str) -> tuple[int, int, str]:
        x, n = counts[key]
        return (n, x, key)

    def blocking() -> list[Derivation]:
        found: dict[tuple[str, str], Derivation] = {}
        for reading in readings:
            for d in _derive(reading, code, status, counts):
                if d.blocking:
                    found.setdefault((d.unit, d.quantity), d)
        return list(found.values())

    def hide_one(options: list[str]) -> None:
        """Hide the first option that its own status does not give away (a secondary cell
        of 10 respondents is 5 of 10), or the first of all. A cell of more than 4k
        respondents is taken without trying: its status leaves it many values, and the check
        that follows each step catches whatever the sums still give away."""
        for key in options:
            status[key] = Status.SUPPRESSED_SECONDARY
            roomy = units[key].respondents > 4 * rules_of(rules, units[key].level).k
            if roomy or all(d.unit != key for d in blocking()):
                return
            status[key] = Status.OK
        status[options[0]] = Status.SUPPRESSED_SECONDARY

    children = {members[0]: members[1:] for members in sums}

    def useful_first(options: list[str]) -> list[str]:
        """Cells whose children are all shown (or such cells) protect nothing from a reader
        of those children: an area over shown schools is their sum. Try the others first."""
        known = _known_from_below(status, sums)
        return sorted(options, key=lambda k: bool(children.get(k)) and set(children[k]) <= known)

    def options_near(unit: str) -> list[str]:
        """Shown cells to hide next to ``unit``: in its own sums (siblings first), else in
        those of its nearest ancestor that has any not fixed."""
        current: str | None = unit
        while current is not None:
            here = current
            around = [m for m in sums if here in m]
            around.sort(key=lambda m: m[0] != shape.parents.get(here))  # siblings first
            found = [
                k for m in around for k in _candidates(m, here, status, size) if k not in frozen
            ]
            if found:
                return useful_first(list(dict.fromkeys(found)))
            current = shape.parents.get(here)
        return []

    while True:
        lone = _lone_hidden(sums, status)
        if lone is not None:
            members, hidden = lone
            options = [k for k in _candidates(members, hidden, status, size) if k not in frozen]
            options = useful_first(options)
            if not options:
                options = options_near(hidden)
            if not options:
                raise NotPublishable("a hidden count could be worked out")
            hide_one(options)
            continue
        found = blocking()
        if not found:
            return
        options = options_near(found[0].unit)
        if not options:
            raise NotPublishable("a hidden count could be worked out", found)
        hide_one(options)


def _lone_hidden(
    sums: list[list[str]], status: Mapping[str, Status]
) -> tuple[list[str], str] | None:
    """A sum with one hidden cell, unless that cell is the parent (then every child is shown:
    an area below its gate over shown schools is their sum, nothing more)."""
    for members in sums:
        hidden = [key for key in members if status[key].hidden]
        if len(hidden) == 1 and hidden[0] != members[0]:
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


# -- the recoverability check ---------------------------------------------------------------


def require_publishable(view: View, rules: RulesArg = Rules(), *, readers: Readers = ()) -> None:
    """Raise ``NotPublishable`` when any hidden numerator or complement can be derived."""
    found = [d for d in find_derivations(view, rules, readers=readers) if d.blocking]
    if found:
        first = found[0]
        raise NotPublishable(
            f"the {first.quantity} of {first.code} in {first.unit} can be derived", found
        )


def find_derivations(
    view: View, rules: RulesArg = Rules(), *, readers: Readers = ()
) -> list[Derivation]:
    """Every hidden value that a reader of ``view`` (or of the part each of ``readers``
    sees) can pin to one number."""
    found: dict[tuple[str, str, str], Derivation] = {}
    for seen in [view, *(_restricted(view, keys) for keys in readers)]:
        by_code: dict[str, dict[str, Cell]] = {}
        for (unit, code), cell in seen.cells.items():
            by_code.setdefault(code, {})[unit] = cell
        for code in sorted(by_code):
            cells = by_code[code]
            status = {unit: cell.status for unit, cell in cells.items()}
            exact = {
                unit: (cell.numerator or 0, cell.denominator or 0)
                for unit, cell in cells.items()
                if not cell.status.hidden
            }
            for d in _derive(_reading(seen, cells, rules), code, status, exact):
                found.setdefault((d.code, d.unit, d.quantity), d)
    return list(found.values())


def _restricted(view: View, keys: Collection[str]) -> View:
    """What a reader who sees only the cells of ``keys`` knows."""
    keep = set(keys)
    return View(
        {k: (p if p in keep else None) for k, p in view.parents.items() if k in keep},
        {k: v for k, v in view.levels.items() if k in keep},
        {k: v for k, v in view.respondents.items() if k in keep},
        {key: cell for key, cell in view.cells.items() if key[0] in keep},
    )


# A cell's bounds: [x_lo, y_lo, n_lo, x_hi, y_hi, n_hi] for its numerator ``x``, complement
# ``y`` and denominator ``n`` (a plain list: the check runs often, over many cells).
Bounds = list[int]
X, Y, N = 0, 1, 2
HI = 3


@dataclass(frozen=True)
class _Reading:
    """What stays the same while one code's statuses change: the cells a reader sees, the
    sums among them, each cell's k and respondents."""

    units: tuple[str, ...]
    sums: list[list[str]]
    ks: Mapping[str, int]
    respondents: Mapping[str, int]


def _reading(view: View, present: Iterable[str], rules: RulesArg) -> _Reading:
    units = tuple(sorted(u for u in present if u in view.levels))
    k_of_level: dict[str, int] = {}
    for unit in units:
        level = view.levels[unit]
        if level not in k_of_level:
            k_of_level[level] = rules_of(rules, level).k
    return _Reading(
        units,
        _sums(view.parents, units),
        {unit: k_of_level[view.levels[unit]] for unit in units},
        {unit: view.respondents[unit] for unit in units},
    )


def _derive(
    reading: _Reading,
    code: str,
    status: Mapping[str, Status],
    exact: Mapping[str, tuple[int, int]],
) -> list[Derivation]:
    """The hidden values a reader pins, given each cell's status and, for a shown cell,
    its ``(numerator, denominator)``."""
    if not any(status[unit].hidden for unit in reading.units):
        return []  # nothing hidden, nothing to work out
    bounds = {
        unit: _initial(status[unit], exact.get(unit), reading.respondents[unit], reading.ks[unit])
        for unit in reading.units
    }
    _propagate(status, reading.ks, bounds, reading.sums)
    pinned = [
        unit
        for unit in reading.units
        if status[unit].hidden
        and bounds[unit][N + HI] > 0  # nobody answered: nothing about anyone to protect
        and any(bounds[unit][q] == bounds[unit][q + HI] for q in (X, Y, N))
    ]
    if not pinned:
        return []
    known = _known_from_below(status, reading.sums)  # the sums of shown cells: no secret
    found = []
    for unit in pinned:
        if unit in known:
            continue
        b = bounds[unit]
        for q, name in ((X, "numerator"), (Y, "complement"), (N, "denominator")):
            if b[q] == b[q + HI]:
                found.append(Derivation(unit, code, name, b[q]))
    return found


def _propagate(
    status: Mapping[str, Status],
    ks: Mapping[str, int],
    bounds: Mapping[str, Bounds],
    sums: list[list[str]],
) -> None:
    """Tighten every hidden cell's bounds until nothing moves. Shown cells are exact and
    never move, so only the constraints of hidden cells (and the sums they are in) are
    visited, again whenever one of their cells moved: the result is the same fixpoint as
    visiting every constraint until none changes, at a cost that follows the hidden cells."""
    in_sums: dict[str, list[int]] = {}
    for i, members in enumerate(sums):
        for member in members:
            in_sums.setdefault(member, []).append(i)
    units: deque[str] = deque()
    queued_units: set[str] = set()
    groups: deque[int] = deque()
    queued_groups: set[int] = set()

    def moved(unit: str) -> None:
        if unit not in queued_units:
            queued_units.add(unit)
            units.append(unit)
        for i in in_sums.get(unit, ()):
            if i not in queued_groups:
                queued_groups.add(i)
                groups.append(i)

    # Shown cells are exact and never move: each sum keeps their total as a constant and
    # tightens only its hidden cells (an exact cell is never tightened and never contradicts
    # a total the others fit, so this is the same fixpoint).
    hidden_parts: list[list[str]] = []
    exact_parts: list[list[int]] = []
    for members in sums:
        hidden = [m for m in members[1:] if status[m].hidden]
        exact = [0, 0, 0]
        for m in members[1:]:
            if not status[m].hidden:
                b = bounds[m]
                exact[X] += b[X]
                exact[Y] += b[Y]
                exact[N] += b[N]
        hidden_parts.append(hidden)
        exact_parts.append(exact)
    for unit in sorted(u for u in bounds if status[u].hidden):
        moved(unit)
    while units or groups:
        if units:
            unit = units.popleft()
            queued_units.discard(unit)
            b = bounds[unit]
            before = b[:]
            _unit_sum(b)
            if status[unit] is Status.SUPPRESSED_PRIMARY:
                _primary(b, ks[unit])
            if b != before:
                moved(unit)
            continue
        i = groups.popleft()
        queued_groups.discard(i)
        top = sums[i][0]
        keys = hidden_parts[i]
        parts = [bounds[m] for m in keys]
        total = bounds[top]
        earlier = [total[:], *(b[:] for b in parts)]
        exact = exact_parts[i]
        for q in (X, Y, N):
            _tighten(total, parts, q, q, exact[q])
        for member, b, was in zip([top, *keys], [total, *parts], earlier, strict=True):
            if b != was:
                moved(member)


def _known_from_below(status: Mapping[str, Status], sums: list[list[str]]) -> set[str]:
    """Shown cells, and hidden ones whose children all are such cells."""
    children = {members[0]: members[1:] for members in sums}
    known: dict[str, bool] = {}

    def is_known(unit: str) -> bool:
        if unit not in known:
            below = children.get(unit, [])
            known[unit] = not status[unit].hidden or (
                bool(below) and all(is_known(child) for child in below)
            )
        return known[unit]

    return {unit for unit in status if is_known(unit)}


def _initial(status: Status, exact: tuple[int, int] | None, respondents: int, k: int) -> Bounds:
    if not status.hidden:
        x, n = exact or (0, 0)
        return [x, n - x, n, x, n - x, n]
    low = k if status is Status.SUPPRESSED_SECONDARY else 0
    return [low, low, 2 * low, respondents, respondents, respondents]


def _tighten(total: Bounds, parts: list[Bounds], q: int, p: int, exact: int = 0) -> None:
    """Bounds consistency of ``total[q] = exact + sum(part[p] for part in parts)``."""
    lo_sum = hi_sum = exact
    for b in parts:
        lo_sum += b[p]
        hi_sum += b[p + HI]
    if lo_sum > total[q]:
        total[q] = lo_sum
    if hi_sum < total[q + HI]:
        total[q + HI] = hi_sum
    t_lo, t_hi = total[q], total[q + HI]
    if t_lo > t_hi:
        raise ValueError("the published view contradicts itself")
    for b in parts:
        lo = t_lo - (hi_sum - b[p + HI])
        hi = t_hi - (lo_sum - b[p])
        if lo > b[p]:
            b[p] = lo
        if hi < b[p + HI]:
            b[p + HI] = hi
        if b[p] > b[p + HI]:
            raise ValueError("the published view contradicts itself")


def _unit_sum(b: Bounds) -> None:
    """``n = x + y`` within one cell (on local names: the check runs this very often)."""
    x_lo, y_lo, n_lo, x_hi, y_hi, n_hi = b
    if x_lo + y_lo > n_lo:
        n_lo = x_lo + y_lo
    if x_hi + y_hi < n_hi:
        n_hi = x_hi + y_hi
    if n_lo - y_hi > x_lo:
        x_lo = n_lo - y_hi
    if n_hi - y_lo < x_hi:
        x_hi = n_hi - y_lo
    if n_lo - x_hi > y_lo:
        y_lo = n_lo - x_hi
    if n_hi - x_lo < y_hi:
        y_hi = n_hi - x_lo
    if x_lo > x_hi or y_lo > y_hi or n_lo > n_hi:
        raise ValueError("the published view contradicts itself")
    b[:] = (x_lo, y_lo, n_lo, x_hi, y_hi, n_hi)


def _primary(b: Bounds, k: int) -> None:
    """A primary cell has ``x < k`` or ``n - x < k``: when one side is known to be at least
    ``k``, the other is below it."""
    if b[X] >= k and b[Y + HI] > k - 1:
        b[Y + HI] = k - 1
    if b[Y] >= k and b[X + HI] > k - 1:
        b[X + HI] = k - 1
    _consistent(b)


def _consistent(b: Bounds) -> None:
    if b[X] > b[X + HI] or b[Y] > b[Y + HI] or b[N] > b[N + HI]:
        raise ValueError("the published view contradicts itself")
