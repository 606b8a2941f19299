"""Habits: every public function and method of grants.domain and grants.ledger is annotated
(parameters and return), so the type checker (.ci/typecheck) sees every call into them."""

import importlib
import inspect
import pkgutil

import pytest

import grants.domain
import grants.ledger


def public_functions():
    for package in (grants.domain, grants.ledger):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, member in vars(module).items():
                if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
                    continue
                if inspect.isfunction(member):
                    yield f"{info.name}.{name}", member
                elif inspect.isclass(member):
                    for attr, method in vars(member).items():
                        if attr.startswith("_") or not inspect.isfunction(method):
                            continue
                        yield f"{info.name}.{name}.{attr}", method


def missing_annotations(function) -> list[str]:
    signature = inspect.signature(function)
    missing = [p.name for p in signature.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_every_public_function_of_domain_and_ledger_is_annotated():
    unannotated = {name: missing for name, function in public_functions() if (missing := missing_annotations(function))}
    assert unannotated == {}


@pytest.mark.parametrize("name", ["grants.domain.commands.parse", "grants.ledger.application.GrantsLedger.execute"])
def test_the_check_sees_the_functions_it_is_about(name):
    assert name in dict(public_functions())
