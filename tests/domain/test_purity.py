"""The pure core imports no Django: neither in its source nor when loaded."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import taawun.domain

DOMAIN = Path(taawun.domain.__file__).resolve().parent


def django_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "django"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "django"
        ):
            found.append(str(node.module))
    return found


def test_the_checker_finds_django_imports() -> None:
    assert django_imports("import django") == ["django"]
    assert django_imports("import os, django.conf as c") == ["django.conf"]
    assert django_imports("from django.db import models") == ["django.db"]
    assert django_imports("def f():\n    from django.conf import settings\n") == ["django.conf"]
    assert django_imports("import djangoish\nfrom .django import x") == []


def test_no_module_in_domain_imports_django() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert {f.name for f in files} >= {
        "__init__.py",
        "canonical.py",
        "errors.py",
        "money.py",
        "policy.py",
        "shares.py",
    }
    offenders = {str(f.relative_to(DOMAIN)): django_imports(f.read_text()) for f in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_loading_the_domain_loads_no_django() -> None:
    modules = sorted(
        "taawun.domain." + ".".join(f.relative_to(DOMAIN).with_suffix("").parts)
        for f in DOMAIN.rglob("*.py")
        if f.stem != "__init__"
    )
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "print(json.dumps(sorted(loaded)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(result.stdout) == []
    assert "taawun.domain.shares" in modules
