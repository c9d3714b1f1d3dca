"""A small node for case and request tests: the demo set-up (agreements, node keys) plus the people
every scenario needs, and helpers that open a case and draft requests through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from comity.assistance_requests import drafting
from comity.assistance_requests.schemas import RequestCreate
from comity.cases import service as cases
from comity.cases import targets as case_targets
from comity.cases.schemas import CaseCreate, OffenceAdd, TargetAdd
from comity.clock import FixedClock
from comity.demo.setup import set_up
from comity.identity import service as identity
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.web.container import Container

MATCHING_KEY = b"k" * 32


@dataclass
class World:
    container: Container
    clock: FixedClock
    keystore: Keystore
    tokens: dict[str, str] = field(default_factory=dict)

    principals: dict[str, Principal] = field(default_factory=dict)

    def who(self, name: str) -> Principal:
        """The principal behind one of the world's users (no transaction: safe inside one)."""
        if name not in self.principals:
            with self.container.transaction() as session:
                self.principals[name] = identity.authenticate(session, self.tokens[name])
        return self.principals[name]

    def open_case(
        self, *, by: str = "officer", identifier: str = "seller-4711", title: str = "Fake watches"
    ) -> tuple[str, str, str]:
        """A case with one offence (counterfeit goods, 60 months in IE) and one seller-account target."""
        principal = self.who(by)
        with self.container.transaction() as session:
            case = cases.open_case(
                session,
                clock=self.clock,
                principal=principal,
                data=CaseCreate(title=title, jurisdictional_links=["targeting"]),  # type: ignore[list-item]
            )
            code = "IE-TMA-1996-s92" if principal.jurisdiction == "IE" else None
            if code is None:
                from comity.agreements.service import current_context

                profile = current_context(session).jurisdictions[principal.jurisdiction]
                code = profile.statutes_for("counterfeit_goods")[0].id
            offence = cases.add_offence(
                session,
                clock=self.clock,
                principal=principal,
                case_id=case.id,
                data=OffenceAdd(taxonomy_code="counterfeit_goods", statute=code),
            )
            target = case_targets.add_target(
                session,
                clock=self.clock,
                principal=principal,
                case_id=case.id,
                data=TargetAdd(kind="seller_account", identifier=identifier, data_category="subscriber"),  # type: ignore[arg-type]
                matching_key=MATCHING_KEY,
            )
            return case.id, offence.id, target.id

    def draft(self, case: tuple[str, str, str], *, by: str = "officer", **overrides: Any) -> str:
        """Draft a request in ``case`` (default: e-Evidence subscriber data from DE's platform)."""
        case_id, offence_id, target_id = case
        body: dict[str, Any] = {
            "offence_id": offence_id,
            "target_ids": [target_id],
            "agreement_id": "eev-eu5",
            "to_state": "DE",
            "measure": "production",
            "data_category": "subscriber",
            "time_from": self.clock.now() - timedelta(days=90),
            "time_to": self.clock.now() - timedelta(days=1),
            "addressee_organisation_id": self.platform_org,
        }
        body.update(overrides)
        with self.container.transaction() as session:
            request = drafting.create_request(
                session,
                clock=self.clock,
                principal=self.who(by),
                case_id=case_id,
                data=RequestCreate.model_validate(body),
            )
            return request.id

    platform_org: str = ""


def build_world(container: Container, make_user: Any) -> World:
    """Demo set-up plus: an IE officer (police), IE judge, IE prosecutor, another IE officer (no member),
    DE and GB officers, a DE platform (the addressee)."""
    clock = container.clock
    assert isinstance(clock, FixedClock)
    keystore = Keystore.for_settings(container.settings)
    with container.transaction() as session:
        set_up(session, clock=clock, keystore=keystore)
    world = World(container=container, clock=clock, keystore=keystore)
    world.tokens = {
        "officer": make_user(Role.OFFICER, jurisdiction="IE"),
        "other_officer": make_user(Role.OFFICER, jurisdiction="IE"),
        "judge": make_user(Role.JUDGE, jurisdiction="IE"),
        "prosecutor": make_user(Role.OFFICER, jurisdiction="IE", authority_type=AuthorityType.PROSECUTOR),
        "de_officer": make_user(Role.OFFICER, jurisdiction="DE"),
        "de_judge": make_user(Role.JUDGE, jurisdiction="DE"),
        "fr_officer": make_user(Role.OFFICER, jurisdiction="FR"),
        "gb_officer": make_user(Role.OFFICER, jurisdiction="GB"),
        "platform": make_user(Role.PLATFORM, jurisdiction="DE", kind=OrganisationKind.PLATFORM),
    }
    for name in world.tokens:
        world.who(name)
    world.platform_org = world.who("platform").organisation_id
    return world
