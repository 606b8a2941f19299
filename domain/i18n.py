"""Messages in the user's language (docs/i18n.md): stdlib gettext, so the domain stays pure Python.

Every message a person reads is written in English in the code and wrapped in `_()`. A message
with values is a template with named placeholders, translated *before* its values are filled in:

    "year: " + _("{ref} was applied for {first}, not {year}").format(ref=..., first=..., year=...)

The `field:` prefix stays outside the template (the CLI turns it into the option's name).
Strings made at import time (statuses, summary verbs, table headings, stage names) are marked
with `N_()`, which changes nothing, and translated with `_()` where they are shown.

The edge (grants.cli.language) chooses the language once and installs its catalogue with `use`;
until then, and for English, `_` returns the message as written and no catalogue is read.
"""

from __future__ import annotations

from typing import Protocol


class Catalogue(Protocol):
    """What gettext.GNUTranslations offers (and what a test's recording catalogue imitates)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


_catalogue: Catalogue | None = None
_language = "en"


def use(catalogue: Catalogue | None, language: str = "en") -> None:
    """Translate every later message with `catalogue` (None: English, the messages as written)."""
    global _catalogue, _language
    _catalogue, _language = catalogue, language if catalogue is not None else "en"


def language() -> str:
    """The language in use: "en" or the code of the installed catalogue ("nb")."""
    return _language


def translating() -> bool:
    return _catalogue is not None


def _(message: str) -> str:
    """The message in the language in use."""
    return message if _catalogue is None else _catalogue.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for `n`, in the language in use (its own plural rule)."""
    if _catalogue is None:
        return singular if n == 1 else plural
    return _catalogue.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a marker, known to every extractor
    """Mark a message for the catalogue without translating it now: it is translated where shown."""
    return message
