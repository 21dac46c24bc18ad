"""Architecture boundaries, proved from the source tree with `ast` alone: no project code is imported here.

Every check takes a mapping {module name: source text or Path}, so the same rules run on the real tree and on
the deliberately bad examples in tests/unit/bad_examples/ (read as text, never imported or collected).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = Path(__file__).resolve().parent / "bad_examples"
PROJECT = ("shared", "services", "devtool", "bench")
# Each top-level package is a layer and imports only its own layer or those below: the development tool (the
# `duo` command, embedded stack, demo, benchmarks) wires the services, which use the library.
LAYERS = {"shared": 0, "services": 1, "devtool": 2, "bench": 2}
Sources = Mapping[str, str | Path]

IO_MODULES = frozenset(
    {
        "asyncpg",
        "aiokafka",
        "faststream",
        "fastapi",
        "starlette",
        "httpx",
        "uvicorn",
        "psutil",
        "os",
        "time",
        "socket",
        "subprocess",
        "structlog",
    }
)
# numpy and scipy compute (matching's assignment problem, services/matching/domain/rounds.py); they do no I/O.
DOMAIN_THIRD_PARTY = frozenset({"pydantic", "pydantic_core", "annotated_types", "numpy", "scipy", "idna"})
DATABASE_DRIVERS = frozenset({"asyncpg", "psycopg", "psycopg2", "psycopg_pool", "sqlalchemy", "sqlite3", "aiosqlite"})
CLOCK_AND_RANDOMNESS = frozenset(
    {
        ("datetime", "now"),
        ("datetime", "utcnow"),
        ("date", "today"),
        ("time", "time"),
        ("uuid", "uuid4"),
    }
)


def project_sources(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the project's packages, named from its path (a package by its __init__.py)."""
    sources = {}
    for top in PROJECT:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            sources[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return sources


def parse(source: str | Path) -> ast.Module:
    return ast.parse(source.read_text() if isinstance(source, Path) else source)


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import at any depth (functions included), except under `if TYPE_CHECKING:`, which never runs."""
    guarded = isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"
    for child in node.orelse if isinstance(node, ast.If) and guarded else ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        else:
            yield from _import_nodes(child)


def import_graph(sources: Sources) -> dict[str, set[str]]:
    """Each module's resolved imports: `from a.b import c` means a.b.c when that is a module, else a.b."""
    graph = {}
    for name, source in sources.items():
        is_package = (isinstance(source, Path) and source.name == "__init__.py") or any(
            other.startswith(name + ".") for other in sources
        )
        targets: set[str] = set()
        for node in _import_nodes(parse(source)):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:  # relative: climb from the containing package, one level per extra dot
                package = name.split(".")[: None if is_package else -1]
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [node.module])])
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in sources else base for a in node.names)
        graph[name] = targets
    return graph


def reachable(graph: Mapping[str, set[str]], start: str) -> dict[str, list[str]]:
    """The modules of `graph` reachable from `start`, each with the import chain that first reaches it."""
    chains = {start: [start]}
    queue = [start]
    for module in queue:  # breadth first: the queue grows while we walk it
        for target in sorted(graph[module]):
            if target in graph and target not in chains:
                chains[target] = [*chains[module], target]
                queue.append(target)
    return chains


def _service(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


def domain_modules(sources: Sources) -> list[str]:
    return sorted(m for m in sources if m.split(".")[0] == "services" and m.split(".")[2:3] == ["domain"])


def runtime_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Importing a module first runs each parent package's __init__, so those are imported too."""
    return {m: targets | ({m.rpartition(".")[0]} & graph.keys()) for m, targets in graph.items()}


def domain_violations(sources: Sources) -> list[str]:
    """The domain decides; the edges do I/O. A domain that imports no driver, clock, process or logger can be
    tested with plain values and replayed from events with the same result, and cannot leak into the wire."""
    graph = import_graph(sources)
    runtime = runtime_graph(graph)
    allowed = (sys.stdlib_module_names | DOMAIN_THIRD_PARTY) - IO_MODULES
    found: dict[tuple[str, str], str] = {}  # one report per offending import, however many domain modules reach it
    clock: list[str] = []
    for module in domain_modules(sources):
        for reached, chain in reachable(runtime, module).items():
            for target in sorted(graph[reached]):
                top = target.split(".")[0]
                if top not in PROJECT and top not in allowed:
                    found.setdefault((reached, target), f"{' -> '.join(chain)} imports {target}")
        for node in ast.walk(parse(sources[module])):
            owner = getattr(node, "value", None)
            owner = getattr(owner, "id", getattr(owner, "attr", None))
            if isinstance(node, ast.Attribute) and (owner, node.attr) in CLOCK_AND_RANDOMNESS:
                clock.append(f"{module} reads {owner}.{node.attr} (line {node.lineno})")
            if isinstance(node, ast.ImportFrom):
                clock += [
                    f"{module} imports {a.name} from {node.module}"
                    for a in node.names
                    if (node.module, a.name) in CLOCK_AND_RANDOMNESS
                ]
    return [*found.values(), *clock]


def cross_service_violations(sources: Sources) -> list[str]:
    """Services meet only through published events and HTTP; importing another service's code would couple
    their deployments and let one service read the other's state without a contract."""
    graph = import_graph(sources)
    return [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        if _service(module)
        for target in sorted(targets)
        if _service(target) not in (None, _service(module))
    ]


def layer_violations(sources: Sources) -> list[str]:
    """shared/ is a library every service deploys, and the services deploy without the development tool, so
    no import points up a layer (LAYERS). Checking every module's own imports is enough: a chain that climbs
    somewhere has one import that climbs."""
    found = []
    for module, targets in sorted(import_graph(sources).items()):
        rank = LAYERS.get(module.split(".")[0], 0)
        found += [f"{module} imports {t}" for t in sorted(targets) if LAYERS.get(t.split(".")[0], 0) > rank]
    return found


def handler_modules(sources: Sources) -> list[str]:
    """Each service's handlers (service.py) and the domain they decide with."""
    return sorted(
        m for m in sources if m.split(".")[0] == "services" and m.split(".")[2:3] in (["service"], ["domain"])
    )


def driver_violations(sources: Sources) -> list[str]:
    """Handlers reach their tables only through ports declared in service.py (docs/adr/0009), so that each runs
    in memory in its unit tests and the database stays an adapter; neither they nor anything they import at
    run time may import a database driver."""
    graph = import_graph(sources)
    runtime = runtime_graph(graph)
    found: dict[tuple[str, str], str] = {}
    for module in handler_modules(sources):
        for reached, chain in reachable(runtime, module).items():
            for target in sorted(graph[reached]):
                if target.split(".")[0] in DATABASE_DRIVERS:
                    found.setdefault((reached, target), f"{' -> '.join(chain)} imports {target}")
    return list(found.values())


def cycles_in(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's algorithm: every strongly connected component larger than one, or a node reaching itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1 or node in graph[node]:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def import_cycles(sources: Sources) -> list[list[str]]:
    """Modules in a cycle cannot be understood, tested or moved apart, and their import order decides whether
    a name exists yet."""
    return cycles_in({m: sorted(t for t in targets if t in sources) for m, targets in import_graph(sources).items()})


def package_of(module: str) -> str:
    """The part a module belongs to: a package of the library (shared.auth) or one of its own modules
    (shared.tenancy), a layer of a service (services.intake.api), a part of the tool (devtool.demo)."""
    parts = module.split(".")
    return ".".join(parts[:3] if parts[0] == "services" else parts[:2])


def package_cycles(sources: Sources) -> list[list[str]]:
    """Parts that import each other (auth's 401 a command refusal, commands reading auth's identity) cannot be
    understood or moved apart either, even when no two modules import each other."""
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph(sources).items():
        mine = package_of(module)
        graph.setdefault(mine, set()).update(package_of(t) for t in targets if t in sources and package_of(t) != mine)
    return cycles_in({p: sorted(targets & graph.keys()) for p, targets in graph.items()})


TREE = project_sources()


def test_the_tree_is_read_from_every_layer():
    assert set(LAYERS) <= TREE.keys() and len(TREE) > 20, sorted(TREE)


def test_domain_packages_do_no_io_and_read_no_clock():
    assert domain_modules(TREE), "no services/*/domain/ package exists, so the purity rule would pass vacuously"
    violations = domain_violations(TREE)
    assert not violations, "domain code must stay pure:\n" + "\n".join(violations)


def test_no_service_imports_another():
    violations = cross_service_violations(TREE)
    assert not violations, "services must not import each other:\n" + "\n".join(violations)


def test_imports_only_point_down_the_layers():
    violations = layer_violations(TREE)
    assert not violations, "imports up a layer (tool -> services -> shared):\n" + "\n".join(violations)


def test_handlers_reach_no_database_driver():
    assert handler_modules(TREE), "no services/*/service.py exists, so the driver rule would pass vacuously"
    violations = driver_violations(TREE)
    assert not violations, "handlers must use the ports of their service.py, not a driver:\n" + "\n".join(violations)


def test_there_are_no_import_cycles():
    cycles = import_cycles(TREE)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_two_packages_import_each_other():
    cycles = package_cycles(TREE)
    assert not cycles, "packages in a cycle:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_purity_check_catches_io_clock_and_transitive_imports_but_not_type_checking_ones():
    found = domain_violations(
        {
            "services.intake.domain.impure": EXAMPLES / "impure_domain.py",
            "shared.helpers": "import httpx\nfrom pydantic import BaseModel\n",
        }
    )
    text = "\n".join(found)
    assert "services.intake.domain.impure imports asyncpg" in text
    assert "services.intake.domain.impure imports structlog" in text  # imported inside a function
    assert "services.intake.domain.impure -> shared.helpers imports httpx" in text
    assert "reads datetime.now" in text and "imports uuid4 from uuid" in text
    assert "fastapi" not in text and "pydantic" not in text


def test_the_cross_service_check_catches_absolute_and_relative_imports():
    assert cross_service_violations({"services.matching.handlers": EXAMPLES / "cross_service.py"}) == [
        "services.matching.handlers imports services.intake.domain",
        "services.matching.handlers imports services.intake.domain.state",
    ]


def test_the_layer_check_catches_imports_up_and_lets_the_tool_wire_services():
    found = layer_violations(
        {
            "shared.settings": EXAMPLES / "upward_imports.py",
            "shared.runtime": "from shared.settings import endpoints\nimport asyncpg\n",
            "services.intake.app": "from shared import settings\nfrom devtool.cli import main\n",
            "devtool.cli": "from services.intake import app\nfrom shared import runtime\nfrom bench import runner\n",
            "bench.runner": "from devtool import stack\n",
        }
    )
    assert found == [
        "services.intake.app imports devtool.cli",
        "shared.settings imports devtool.stack",
        "shared.settings imports services.intake.app",
    ]


def test_the_driver_check_follows_a_handler_into_its_adapters_but_not_type_checking_imports():
    found = driver_violations(
        {
            "services.matching.service": "from services.matching.adapters import pool\n",
            "services.matching.adapters.pool": EXAMPLES / "handler_on_a_driver.py",
            "services.matching.domain.proposal": "import psycopg\n",
            "services.tracking.service": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asyncpg\n",
            "services.tracking.adapters.duos": "import asyncpg\n",
        }
    )
    assert found == [
        "services.matching.domain.proposal imports psycopg",
        "services.matching.service -> services.matching.adapters.pool imports asyncpg",
    ]


def test_the_cycle_check_resolves_relative_imports_and_ignores_type_checking_ones():
    assert import_cycles(
        {
            "pkg": "from pkg.a import run\n",
            "pkg.a": "def run():\n    from . import b\n",
            "pkg.b": "from .a import run\n",
            "pkg.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n",
            "pkg.d": "from pkg import c\n",
        }
    ) == [["pkg.a", "pkg.b"]]


def test_the_package_cycle_check_sees_a_cycle_no_two_modules_make():
    sources = {
        "shared.auth.http": "from shared.commanding.errors import CommandRefused\n",
        "shared.commanding.errors": "",
        "shared.commanding.http": "from shared.auth.identity import Identity\n",
        "shared.auth.identity": "from shared.tenancy import Tenant\n",
        "shared.tenancy": "",
    }
    assert import_cycles(sources) == []
    assert package_cycles(sources) == [["shared.auth", "shared.commanding"]]
