"""Fixtures of the key registry tests, on the shared migrated test database (emptied after every test)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from comity.identity.model import Organisation
from comity.kinds import AuthorityType, OrganisationKind
from comity.web.container import Container
from conftest import START


@pytest.fixture
def keys_container(container: Container) -> Container:
    """The shared per-test node container (fixed clock at ``START``, its own home folder)."""
    return container


OrgFactory = Callable[..., str]


@pytest.fixture
def make_org(keys_container: Container) -> OrgFactory:
    """Create an organisation directly (ids ``org_keys_test_*``)."""
    counter = {"n": 0}

    def _make(
        kind: OrganisationKind = OrganisationKind.AUTHORITY,
        *,
        jurisdiction: str = "IE",
        authority_type: AuthorityType | None = AuthorityType.POLICE,
    ) -> str:
        counter["n"] += 1
        org_id = f"org_keys_test_{counter['n']}"
        with keys_container.transaction() as session:
            session.add(
                Organisation(
                    id=org_id,
                    name=f"{kind.value} {counter['n']}",
                    kind=kind.value,
                    jurisdiction=jurisdiction,
                    authority_type=authority_type.value if authority_type else None,
                    created_at=START,
                )
            )
        return org_id

    return _make
