"""Regions (shared/regions.py): the settings that declare one, and what a service refuses for a branch it does not
host, before anything is read or changed: a token (421, naming the region that hosts it) and an event (parked)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from services.reporting.adapters.fast_rows import fast_row
from shared.auth.identity import Role
from shared.config import ConfigurationError, PlatformEnvironment, ServiceSettings
from shared.consuming.subscriber import admit
from shared.regions import Region
from shared.tenancy import Tenant
from tests.auth import bearer
from tests.service_apps import guarded_routes, service_apps
from tests.unit.signing_keys import KEYRING
from tests.unit.test_rebuild_fast_rows import PRODUCERS, record

WEST = Region("west", frozenset({Tenant.BE, Tenant.NL}), {"fr": frozenset({Tenant.FR})})


def test_no_region_set_is_one_region_hosting_every_branch():
    region = PlatformEnvironment.from_environ({}).region()
    assert region == Region() and all(region.hosts(t) and region.refusal(t) is None for t in Tenant)


def test_a_region_is_declared_by_its_name_its_branches_and_the_others():
    environ = {"DUO_REGION": "west", "DUO_REGION_BRANCHES": "BE, nl", "DUO_OTHER_REGIONS": "fr=FR"}
    region = PlatformEnvironment.from_environ(environ).region()
    assert region == WEST
    assert region.host_of(Tenant.FR) == "fr" and region.host_of("NL") == "west"
    assert region.refusal(Tenant.FR) == "branch FR is not hosted by region west; region fr hosts it"
    alone = PlatformEnvironment.from_environ({"DUO_REGION": "fr", "DUO_REGION_BRANCHES": "FR"}).region()
    assert alone.refusal(Tenant.BE) == "branch BE is not hosted by region fr; no region known here hosts it"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"DUO_REGION": "west"}, "DUO_REGION_BRANCHES"),
        ({"DUO_REGION_BRANCHES": "BE"}, "need DUO_REGION"),
        ({"DUO_REGION": "west", "DUO_REGION_BRANCHES": "BE,XX"}, "DUO_REGION_BRANCHES"),
        ({"DUO_REGION": "West Side", "DUO_REGION_BRANCHES": "BE"}, "DUO_REGION"),
        ({"DUO_REGION": "west", "DUO_REGION_BRANCHES": "BE", "DUO_OTHER_REGIONS": "fr"}, "DUO_OTHER_REGIONS"),
        ({"DUO_REGION": "west", "DUO_REGION_BRANCHES": "BE", "DUO_OTHER_REGIONS": "fr=BE"}, "hosted by west and"),
        ({"DUO_REGION": "west", "DUO_REGION_BRANCHES": "BE", "DUO_OTHER_REGIONS": "west=FR"}, "is this region"),
    ],
)
def test_a_bad_region_setting_stops_the_service_naming_it(environ, named):
    with pytest.raises(ConfigurationError, match=named):
        PlatformEnvironment.from_environ(environ).region()


async def test_every_route_of_every_service_refuses_a_token_of_a_branch_hosted_elsewhere_with_421():
    refused = 0
    for service, app in service_apps().items():
        app.state.runtime = SimpleNamespace(settings=ServiceSettings(service, "postgresql://unused", "x", region=WEST))
        # Past the token, a route would need the database this app does not have: a 500 here, never a 421.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            for method, path in guarded_routes(app):
                for role in (Role.COORDINATOR, Role.FUNDER):
                    answer = await client.request(method, path, headers=bearer("FR", role))
                    assert answer.status_code == 421, (service, method, path, answer.text)
                    assert answer.json()["errors"][0]["message"].endswith("region fr hosts it")
                    refused += 1
            # The region's own branches and the federation pass the region's check (and meet the next one).
            for method, path in guarded_routes(app):
                for headers in (bearer("NL", Role.FUNDER), bearer(None, Role.FEDERATION)):
                    assert (await client.request(method, path, headers=headers)).status_code != 421
    assert refused > 100


def test_an_event_of_a_branch_hosted_elsewhere_is_admitted_as_an_event_to_park_with_the_region_that_hosts_it():
    rec = record()  # a Belgian registration, signed by intake
    envelope, refusal = admit(rec.topic, list(rec.headers), rec.value, PRODUCERS, KEYRING, WEST)
    assert envelope is not None and refusal is None
    fr = Region("fr", frozenset({Tenant.FR}), {"west": frozenset({Tenant.BE, Tenant.NL})})
    envelope, refusal = admit(rec.topic, list(rec.headers), rec.value, PRODUCERS, KEYRING, fr)
    assert envelope is not None and envelope.tenant is Tenant.BE
    assert refusal == "foreign_branch: branch BE is not hosted by region fr; region west hosts it"
    # The rebuild's fast path leaves it to the careful one, which leaves it out, as the live consumer parked it.
    assert fast_row(rec, PRODUCERS, KEYRING, frozenset({"FR"})) is None
    assert fast_row(rec, PRODUCERS, KEYRING, frozenset({"BE"})) is not None
