"""A module loaded on its first use: for domain code a reading command imports but need not run.

`grants show` decodes a position's events, so it imports the GrantPosition aggregate, but it
never decides: the rules (their dataclasses, `fractions`) load only when a decision asks them.
The standard library's LazyLoader does it; after the first attribute read the module is an
ordinary module, so the hot paths of a decision or an import pay nothing per use.
"""

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module `name`: itself if loaded, otherwise one that runs on its first attribute read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
