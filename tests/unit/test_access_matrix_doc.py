"""docs/security.md's roles table is the code's: each route's x-roles, written by devtool/access_matrix.py."""

from __future__ import annotations

from devtool.access_matrix import BEGIN, DOCUMENT, END, route_roles, with_table


def test_the_roles_table_of_docs_security_md_is_the_one_the_code_declares():
    written = DOCUMENT.read_text()
    assert with_table(written) == written, "the roles table differs: run `python -m devtool.access_matrix`"


def test_the_table_has_every_route_of_the_four_services_the_trail_and_history_included():
    routes = {(service, f"{method} {path}") for service, method, path, _ in route_roles()}
    assert {("reporting", "GET /figures/{figure}/events"), ("reporting", "GET /history/{subject_id}")} <= routes
    assert {service for service, _ in routes} == {"intake", "matching", "tracking", "reporting"}
    table = DOCUMENT.read_text().split(BEGIN)[1].split(END)[0]
    assert all(f"| {service} | `{route}` |" in table for service, route in routes)


def test_a_route_missing_from_the_table_is_noticed():
    written = DOCUMENT.read_text()
    rows = written.split("\n")
    without_trail = "\n".join(row for row in rows if "/figures/{figure}/events" not in row)
    assert with_table(without_trail) != without_trail
