"""Reference data: every kommune and its Statsforvalter office.

`data/kommuner_2024.csv` holds the 357 kommuner valid from 2024-01-01;
`data/kommunenummer_endringer_2023_til_2024.csv` the 2024 renumbering (and the split of 1507
Ålesund into 1508 Ålesund and 1580 Haram), from which the codes valid 2020-2023 are derived.
Codes from before the 2020 reform are not in the data and are refused; codes created by the 2020
reform are accepted for earlier years too, since no installable dataset holds that history
(docs/rules.md, "Kommune reforms").
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from grants.domain.errors import InvalidInput, hint, quoted
from grants.domain.i18n import _

DATA = Path(__file__).parent / "data"
RENUMBERING_YEAR = 2024
FIRST_NUMBERS_YEAR = 2020  # the data's numbers begin with the 2020 reform (docs/rules.md, "Kommune numbers")

# Short, stable office ids (the full names changed in 2024 for Oslo og Viken; the offices did not).
OFFICE_IDS = {
    "Statsforvalteren i Agder": "agder",
    "Statsforvalteren i Innlandet": "innlandet",
    "Statsforvalteren i Møre og Romsdal": "more-og-romsdal",
    "Statsforvalteren i Nordland": "nordland",
    "Statsforvalteren i Rogaland": "rogaland",
    "Statsforvalteren i Troms og Finnmark": "troms-og-finnmark",
    "Statsforvalteren i Trøndelag": "trondelag",
    "Statsforvalteren i Vestfold og Telemark": "vestfold-og-telemark",
    "Statsforvalteren i Vestland": "vestland",
    "Statsforvalteren i Østfold, Buskerud, Oslo og Akershus": "ostfold-buskerud-oslo-akershus",
}
OFFICE_NAMES = {office_id: name for name, office_id in OFFICE_IDS.items()}
OFFICE_PREFIX = "Statsforvalteren i "


@dataclass(frozen=True)
class Kommune:
    number: str
    name: str
    office: str  # office id, see OFFICE_IDS
    valid_from: int | None  # first year the code is valid (None: before our data starts)
    valid_to: int | None  # last year the code is valid (None: still valid)
    successor: str | None = None  # for a code retired at the 2024 renumbering (a split: the first)


def _columns(file: str, *names: str) -> list[tuple[str, ...]]:
    """The named columns of every row of a data file, in that order (csv.reader: every command
    that shows a kommune reads the whole file, and a dict per row costs twice the time)."""
    with open(DATA / file, encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        at = [header.index(name) for name in names]
        return [tuple(row[i] for i in at) for row in rows]


CURRENT_FILE = "kommuner_2024.csv"
CHANGES_FILE = "kommunenummer_endringer_2023_til_2024.csv"


@cache
def _renumbered() -> list[tuple[str, ...]]:
    """(old number, old name, new number) of every code changed at the 2024 renumbering."""
    return [row for row in _columns(CHANGES_FILE, "gammelt_nummer", "gammelt_navn", "nytt_nummer") if row[0] != row[2]]


@cache
def _registry() -> dict[str, Kommune]:
    current = {number: (sami_norwegian or name, OFFICE_IDS[office]) for number, name, sami_norwegian, office in
               _columns(CURRENT_FILE, "kommunenummer", "kommunenavn_kilde", "norsk_navn_hvis_kilde_bruker_samisk",
                        "statsforvalter_embete_fra_2024")}
    changes = _renumbered()
    new_codes = {new for _old, _name, new in changes}
    registry = {
        number: Kommune(number, name, office, RENUMBERING_YEAR if number in new_codes else None, None)
        for number, (name, office) in current.items()
    }
    for old, old_name, new in changes:
        if old in registry:  # a split keeps the first successor as the one named
            continue
        _, office = current[new]
        registry[old] = Kommune(old, old_name, office, None, RENUMBERING_YEAR - 1, successor=new)
    return registry


def lookup(raw: str, year: int) -> Kommune:
    """The kommune with this code, or this name, in the given year, or InvalidInput saying why not."""
    number = raw if KOMMUNENUMMER.fullmatch(raw) else by_name(raw, year).number
    kommune = _registry().get(number)
    if kommune is None:
        hint = _("; numbers from before the 2020 reform are not in the data: give the number from 2020 "
                 "or the kommune's name") if year < FIRST_NUMBERS_YEAR else ""
        raise InvalidInput("kommune: " + _("unknown kommunenummer {number}").format(number=repr(number)) + hint)
    if kommune.valid_to is not None and year > kommune.valid_to:
        raise InvalidInput("kommune: " + _(
            "kommunenummer {number} ({name}) was replaced by {successor} on {day}; use the new code for {year}").format(
            number=repr(number), name=kommune.name, successor=repr(kommune.successor), day=reform_date(), year=year))
    if kommune.valid_from is not None and year < kommune.valid_from:
        raise InvalidInput("kommune: " + _(
            "kommunenummer {number} ({name}) is valid from {first}; use the code in force in {year}").format(
            number=repr(number), name=kommune.name, first=kommune.valid_from, year=year))
    return kommune


def every_kommune() -> list[Kommune]:
    """Every kommune code we know, today's and those retired at the 2024 renumbering, by number."""
    return sorted(_registry().values(), key=lambda k: k.number)


def all_current() -> list[Kommune]:
    return [k for k in _registry().values() if k.valid_to is None]


def office_id(raw: str) -> str:
    """The office id for an id, a full name or a short name (`Innlandet`), in any case."""
    found = _office_keys().get(_fold(raw))
    if found is None:
        raise InvalidInput("office: " + _("unknown office {office}; one of {known}").format(
            office=quoted(raw), known=", ".join(sorted(OFFICE_NAMES))))
    return found


def office_short_name(office: str) -> str:
    """`innlandet` -> `Innlandet` (the name without "Statsforvalteren i"); an unknown id as it is."""
    name = OFFICE_NAMES.get(office)
    return name.removeprefix(OFFICE_PREFIX) if name else office


@cache
def _office_keys() -> dict[str, str]:
    keys = {}
    for name, office in OFFICE_IDS.items():
        for alias in (office, name, name.removeprefix(OFFICE_PREFIX)):
            keys[_fold(alias)] = office
    return keys


def _fold(text: str) -> str:
    """Case, spaces, dashes and the Norwegian letters do not matter: `Møre og Romsdal` is
    `more-og-romsdal`."""
    text = text.strip().casefold().translate(ASCII_LETTERS).replace("-", " ")
    return " ".join(text.split())


ASCII_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "á": "a", "č": "c", "đ": "d", "ŋ": "n",
                               "š": "s", "ŧ": "t", "ž": "z"})
KOMMUNENUMMER = re.compile(r"[0-9]{4}", re.ASCII)


def by_name(raw: str, year: int | None = None) -> Kommune:
    """The kommune of this name in force in `year` (None: today's kommuner). A name shared by
    two kommuner (Herøy, Våler) is refused with the candidates; a near miss gets a suggestion."""
    numbers = _names().get(_fold(raw), [])
    registry = _registry()
    matches = [registry[n] for n in numbers]
    in_force = [k for k in matches if _in_force(k, year)]
    if len(in_force) == 1:
        return in_force[0]
    if len(in_force) > 1:
        candidates = ", ".join(f"{k.number} {k.name}" for k in in_force)
        raise InvalidInput("kommune: " + _("{name} names more than one kommune: {candidates}; give the kommunenummer")
                           .format(name=quoted(raw), candidates=candidates))
    if matches:
        codes = ", ".join(f"{k.number} {k.name}" for k in matches)
        message = (_("{name} has no kommunenummer in force in {year} ({codes})") if year is not None
                   else _("{name} has no kommunenummer in force today ({codes})"))
        raise InvalidInput("kommune: " + message.format(name=quoted(raw), year=year, codes=codes))
    import difflib  # only on this error path

    close = difflib.get_close_matches(_fold(raw), _names(), n=3, cutoff=0.8)
    suggested = sorted({registry[_names()[c][0]].name for c in close})
    # Translators: joins alternatives, as in "Hamar or Hamarøy"
    suggestion = hint(_(" or ").join(suggested)) if suggested else ""
    raise InvalidInput("kommune: " + _(
        "unknown kommune {name}; give a kommunenummer such as 3401 or a kommune name").format(name=quoted(raw))
        + suggestion)


def _in_force(kommune: Kommune, year: int | None) -> bool:
    if year is None:
        return kommune.valid_to is None
    return ((kommune.valid_from is None or year >= kommune.valid_from)
            and (kommune.valid_to is None or year <= kommune.valid_to))


@cache
def _names() -> dict[str, list[str]]:
    """Every way of writing a kommune's name -> its numbers: the name in the data, without its
    county in brackets (`Herøy`), each half of a two-language name (`Rana - Raane`), the Norwegian
    name of a kommune listed under its Sami name (`Kautokeino`)."""
    names: dict[str, list[str]] = {}
    spellings = _columns(CURRENT_FILE, "kommunenummer", "kommunenavn_kilde", "norsk_navn_hvis_kilde_bruker_samisk")
    spellings += [(k.number, k.name, "") for k in _registry().values() if k.valid_to is not None]
    for number, *written in spellings:
        for name in filter(None, written):
            plain = re.sub(r"\s*\(.*\)$", "", name)
            for alias in {name, plain, *plain.split(" - ")}:
                numbers = names.setdefault(_fold(alias), [])
                if number not in numbers:
                    numbers.append(number)
    return names


def find(number: str) -> Kommune | None:
    """The kommune with this code in any year we know, or None."""
    return _registry().get(number)


def code_in(number: str, year: int) -> str | None:
    """The code a 2024 kommune had in `year` (itself, or its code before the 2024 renumbering)."""
    kommune = _registry()[number]
    if kommune.valid_from is None or year >= kommune.valid_from:
        return number
    return next((old.number for old in _registry().values() if old.successor == number), None)


@cache
def _changes() -> dict[str, tuple[str, ...]]:
    """Retired code -> every code that continues it (two for a split), from the 2024 data."""
    found: dict[str, list[str]] = {}
    for old, _name, new in _renumbered():
        found.setdefault(old, []).append(new)
    return {old: tuple(new) for old, new in found.items()}


def continued_in(number: str, year: int) -> tuple[str, ...]:
    """The codes a position in kommune `number` may continue under in `year`: the code itself
    while it is valid; after a reform its successor (one), or the parts of a split (several)."""
    kommune = _registry().get(number)
    if kommune is None or kommune.valid_to is None or year <= kommune.valid_to:
        return (number,)
    return _changes().get(number, (number,))


def reform_date() -> str:
    """The date the 2024 changes took effect (ISO), for messages."""
    return f"{RENUMBERING_YEAR}-01-01"


def lineage(number: str) -> tuple[str, ...]:
    """The code with its predecessor and successors by renumbering (3101 -> 3101, 3001), so a
    report on a kommune finds its years under the old code too. A split's parts are not merged:
    1508 does not include 1507 (its positions are found through the code they continued under)."""
    codes = {number}
    codes.update(new for new in _changes().get(number, ()) if len(_changes()[number]) == 1)
    codes.update(old for old, new in _changes().items() if new == (number,))
    return tuple(sorted(codes))
