"""The Kubernetes overlays of the regions and the federation (deploy/k8s/regions, docs/adr/0028): each region is the
prod platform from the same base with its region's settings and reporting's signing key; the federation is the
platform's image with no database and read access to the regions' clusters only."""

from __future__ import annotations

import kubernetes_validate
import pytest

from shared.config import PlatformEnvironment
from shared.regions import Region
from shared.tenancy import Tenant
from tests.unit.test_deploy_manifests import K8S, KUBERNETES_VERSION, SERVICES, USER, _by_kind, _key, render

REGIONS = {
    "west": Region("west", frozenset({Tenant.BE, Tenant.NL}), {"fr": frozenset({Tenant.FR})}),
    "fr": Region("fr", frozenset({Tenant.FR}), {"west": frozenset({Tenant.BE, Tenant.NL})}),
}


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_a_region_is_the_prod_platform_hosting_its_branches_with_reportings_signing_key(name: str) -> None:
    documents = render(K8S / "regions" / name)
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    prod = render(K8S / "overlays" / "prod")
    assert sorted(_key(d) for d in documents) == sorted(_key(d) for d in prod)  # the same base, nothing else
    config = _by_kind(documents, "ConfigMap")["duo-platform"]["data"]
    assert PlatformEnvironment.from_environ(config).region() == REGIONS[name]
    assert f".{name}." in config["KAFKA_BOOTSTRAP_SERVERS"]  # its own cluster
    hosts = [rule["host"] for rule in _by_kind(documents, "Ingress")["duo"]["spec"]["rules"]]
    assert hosts == [f"{s}.{name}.duo.example.org" for s in SERVICES]
    reporting = _by_kind(documents, "Deployment")["reporting"]["spec"]["template"]["spec"]
    (container,) = reporting["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    keys = {v["secret"]["secretName"] for v in reporting["volumes"] if "secret" in v}
    assert keys == {"duo-reporting-event-key"}  # its own key: it signs the figures it sends
    assert config["DUO_EVENT_SIGNING_KEY_FILE"].startswith(mounts["event-key"] + "/")


def test_the_federation_has_no_database_and_reads_each_regions_cluster_as_its_own_principal() -> None:
    documents = render(K8S / "regions" / "federation")
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    (deployment,) = _by_kind(documents, "Deployment").values()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][:2] == ["serve", "federation"] and container["image"].endswith(":0.1.0")
    assert container["securityContext"]["runAsUser"] == USER and container["securityContext"]["readOnlyRootFilesystem"]
    env = {e["name"]: e for e in container["env"]}
    assert env["KAFKA_SASL_USERNAME"]["value"] == "federation"
    secrets = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
    assert secrets == {"duo-federation-kafka"}  # no database, no signing key, no other service's credentials
    config = _by_kind(documents, "ConfigMap")["duo-federation"]["data"]
    settings = PlatformEnvironment.from_environ(config)
    assert sorted(settings.duo_federation_regions) == sorted(REGIONS)
    assert str(settings.duo_federation_keyrings_dir) == container["volumeMounts"][0]["mountPath"]
    (policy,) = _by_kind(documents, "NetworkPolicy").values()
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}
    assert 5432 not in ports and 9093 in ports
