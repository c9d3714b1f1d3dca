"""The three-node compose file parses and hangs together (we cannot run docker here: this is the check).

Each node has its own PostgreSQL service (its own volume and password), its config file names that
database and the other nodes as peers with their exported trust stores, the init steps run in order, and
the witness is wired to the logs it cosigns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from comity.federation.nodeconfig import NodeConfig

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
FEDERATION = DEPLOY / "federation"
NODES = ("ie", "de", "fr")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((FEDERATION / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _config(code: str) -> NodeConfig:
    return NodeConfig.load(FEDERATION / "config" / f"{code}.toml")


def _mounted(service: dict[str, Any], target: str) -> str:
    for volume in service["volumes"]:
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == target:
            return source
    raise AssertionError(f"nothing mounted at {target}")


def test_three_nodes_each_with_its_own_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    data_volumes = set()
    passwords = set()
    for code in NODES:
        node, db = services[code], services[f"{code}-db"]
        assert db["image"].startswith("postgres:")
        assert db["healthcheck"]["test"]
        data_volumes.add(_mounted(db, "/var/lib/postgresql/data"))
        passwords.add(db["environment"]["POSTGRES_PASSWORD"])
        config = _config(code)
        assert config.jurisdiction == code.upper()
        url = make_url(config.database_url or "")
        assert url.get_backend_name() == "postgresql"
        assert url.host == f"{code}-db"  # its own database service, nobody else's
        assert url.password == db["environment"]["POSTGRES_PASSWORD"]
        assert url.database == db["environment"]["POSTGRES_DB"]
        assert url.username == db["environment"]["POSTGRES_USER"]
        # The node serves its own config file, with its worker, from its own home volume.
        assert node["command"][:3] == ["serve", "--config", f"/etc/comity/{code}.toml"]
        assert "--worker" in node["command"]
        assert config.worker
        assert _mounted(node, "/srv/comity") == f"{code}-home"
        assert node["depends_on"][f"{code}-init"]["condition"] == "service_completed_successfully"
        init = services[f"{code}-init"]
        assert init["command"][:4] == ["federation", "bootstrap", "--config", f"/etc/comity/{code}.toml"]
        assert init["depends_on"][f"{code}-db"]["condition"] == "service_healthy"
        assert _mounted(init, "/srv/comity") == f"{code}-home"
    assert len(data_volumes) == len(passwords) == len(NODES)
    assert data_volumes <= set(compose["volumes"])


def test_every_node_names_the_others_as_peers_with_their_trust_stores(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ports = set()
    for code in NODES:
        config = _config(code)
        others = {c for c in NODES if c != code}
        assert {p.jurisdiction.lower() for p in config.peers} == others
        for peer in config.peers:
            other = peer.jurisdiction.lower()
            assert urlsplit(peer.url).hostname == other  # the peer's compose service
            assert peer.trust_store == Path(f"/trust/{other}.json")  # what its init exported
            assert "eev-eu5" in peer.agreements
            # A node starts only once every init wrote its trust store.
            assert (
                services[code]["depends_on"][f"{other}-init"]["condition"] == "service_completed_successfully"
            )
        assert config.base_url == f"http://{code}:8000"
        ports.add(services[code]["ports"][0].split(":")[0])
    assert len(ports) == len(NODES)


def test_the_witness_is_wired_to_ie_and_de(compose: dict[str, Any]) -> None:
    services = compose["services"]
    witness = services["fr-witness"]
    assert witness["command"][:4] == ["witness", "serve", "--config", "/srv/witness/witness.toml"]
    init = services["witness-init"]
    assert set(init["depends_on"]) == {"ie-init", "de-init"}
    script = (FEDERATION / "config" / "witness-init.sh").read_text(encoding="utf-8")
    assert "/trust/ie.vkey" in script
    assert "/trust/de.vkey" in script
    assert "/trust/witness.vkey" in script
    for code in ("ie", "de"):
        (target,) = _config(code).witnesses
        assert urlsplit(target.url).hostname == "fr-witness"
        assert target.vkey_file == Path("/trust/witness.vkey")
    assert _config("fr").witnesses == []


def test_the_image_installs_the_project_on_python_3_11_slim() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.splitlines()[2] == "FROM python:3.11-slim"
    assert "pip install ." in dockerfile
    assert 'ENTRYPOINT ["comity"]' in dockerfile
