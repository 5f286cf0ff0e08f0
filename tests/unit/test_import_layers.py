"""The house's arrows point down (README, "Architecture"): doors (screens,
APIs, CLI, registration) call rules; rules use models and core; models use
core only; core knows no domain.  And no module imports itself back through
another.  Read from the source (every import, including those inside
functions), so a new module cannot quietly break the shape."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
DOMAINS = (
    "records",
    "agenda",
    "clinical",
    "prescribing",
    "care",
    "documents",
    "audit",
    "demo",
    "security",
    "jobs",
    "alerts",
    "search",
    "home",
    "live",
    "interface",
)
# Shared foundations a domain's rules may lean on besides core: who may do what.
FOUNDATIONS = ("app.core", "app.security.policy", "app.security.roles", "app.security.permissions")
# Doors outside a views/api/cli module: screen pieces other domains' screens
# use, the start-up and its commands, FAB's security manager and its screens.
DOOR_MODULES = {
    "app",
    "app.cli",
    "app.launcher",
    "app.bootstrap",
    "app.records.fields",
    "app.core.views",
    "app.core.api",
    "app.core.cli",
    "app.core.fields",
    "app.security.users",
    "app.security.manager",
    "app.security.csrf",
    "app.security.delegation_views",
    "app.security.delegation_api",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in APP.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The app modules `name` imports (a `from package import module` counts as the module)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("app")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {module for module in found if module in MODULES and module != name}


def layer(name: str) -> str:
    parts = name.split(".")
    if name in DOOR_MODULES:
        return "door"
    if len(parts) == 2 and parts[1] in DOMAINS:
        return "door"  # a domain's __init__: register(appbuilder)
    if parts[-1] in ("models",) or name == "app.core.models":
        return "model"
    if any(part in ("views", "api", "cli") for part in parts[2:]):
        return "door"
    if name.startswith("app.core"):
        return "core"
    return "rules"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if layer(name) == "model"))
def test_models_import_only_models_and_core(name):
    wrong = {m for m in imports_of(name) if layer(m) not in ("model", "core")}
    assert wrong == set(), f"{name} imports {sorted(wrong)}"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if layer(name) == "rules"))
def test_rules_import_no_screen_api_or_command(name):
    wrong = {m for m in imports_of(name) if layer(m) == "door"}
    assert wrong == set(), f"{name} imports {sorted(wrong)}"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if layer(name) == "core"))
def test_core_knows_no_domain(name):
    wrong = {m for m in imports_of(name) if not m.startswith(FOUNDATIONS) or layer(m) == "door"}
    assert wrong == set(), f"{name} imports {sorted(wrong)}"


def test_no_import_cycles():
    graph = {name: imports_of(name) for name in MODULES}
    cycles, state = [], {}

    def visit(name, trail):
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_every_domain_is_one_package_registered_by_create_app():
    source = (APP / "__init__.py").read_text()
    for domain in ("records", "agenda", "prescribing", "documents", "audit"):
        assert (APP / domain / "__init__.py").exists()
        assert "def register(appbuilder)" in (APP / domain / "__init__.py").read_text()
        assert domain in source.split("DOMAINS = ")[1].split(")")[0]
    assert not (APP / "views").exists() and not (APP / "services").exists() and not (APP / "api").exists()


# What only a rule does: check a permission, commit, roll back.
RULES_ONLY_CALLS = {"require", "commit", "rollback", "may_write_agenda", "check_agenda_writer"}
# `--as` ends the read transaction its user lookup opened, before the actor is
# set for the command's own (app/core/cli.py): no refusal, no write to undo.
ALLOWED = {"app.core.cli rollback()"}


def rule_only_calls(name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if called in RULES_ONLY_CALLS and f"{name} {called}()" not in ALLOWED:
                found.append(f"{name}:{node.lineno} {called}()")
    return found


def test_doors_neither_check_a_permission_nor_commit_nor_roll_back():
    """Screens, APIs and commands call the rules; the permission check, the
    commit and the rollback after a refusal are the rules' (README, "One door
    per rule").  Asking may() to decide what to *offer* (a button) is not a check."""
    found = [call for name in sorted(MODULES) if layer(name) == "door" for call in rule_only_calls(name)]
    assert found == []


# What a refusal looks like at a door: a permission predicate (may, may_write,
# may_issue...) deciding to flash, redirect, abort or raise.  The rule refuses
# (a CareTrailError) and the door answers it; asking may_*() only to decide
# what to offer (a button, a section of a page) is not a refusal.
# No door is excepted: the last two (the certificate editor, may_issue, and
# the hospitalisation report editor, may_write_report) now ask their rules,
# documents.access.check_may_issue and documents.reports.check_may_write_report.
REFUSALS = {"flash", "redirect", "abort"}


def _called(node) -> str | None:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)


def door_refusals(name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if not isinstance(node, ast.If):
            continue
        predicates = [
            _called(call)
            for call in ast.walk(node.test)
            if isinstance(call, ast.Call) and (_called(call) or "").startswith("may")
        ]
        refuses = any(
            isinstance(inner, ast.Raise) or (isinstance(inner, ast.Call) and _called(inner) in REFUSALS)
            for statement in node.body
            for inner in ast.walk(statement)
        )
        found += [f"{name}:{node.lineno} {predicate}()" for predicate in (predicates if refuses else [])]
    return found


def test_no_door_refuses_on_a_permission_predicate_of_its_own():
    """A screen that asked may_write() and flashed "not yours" itself held a
    rule the save path also held (the prescription editor): the door asks
    the rule, which refuses; the door only answers."""
    found = [call for name in sorted(MODULES) if layer(name) == "door" for call in door_refusals(name)]
    assert found == []
