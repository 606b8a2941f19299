"""A module imported on its first use: for code a reading command imports but need not run.

`grants show` decodes a position's events, so it imports the GrantPosition aggregate, but it
never decides: the rules (their dataclasses, `fractions`) load only when a decision asks them;
OpenSSL (hashlib) only when something is hashed.

`LazyModule(name)` is a stand-in kept in the importing module's own namespace, never in
`sys.modules`, so no other code sees it. Its first attribute read imports the module the usual
way (under the import lock, so two threads at once are safe) and copies the module's names into
the stand-in: every later read is an ordinary attribute read. Only for modules that never rebind
their own globals after import (the copy would not see it).
"""

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """The module `name` (the stand-in's own name), imported on its first attribute read."""

    def __getattr__(self, attr: str) -> Any:  # only for a name not copied yet: the first use
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)
