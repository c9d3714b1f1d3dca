"""Setting up a demo node: organisations, users and oversight-approved documents. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements.service import install_bundled
from comity.clock import Clock
from comity.identity import service as identity
from comity.identity.model import Organisation, User
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.keys.model import TrustAnchor
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.signing.keys import KeyPurpose

DEMO_JURISDICTIONS = ("IE", "DE", "FR", "NL", "ES")

#: Demo authorities per jurisdiction: (id suffix, name, authority type). Illustrative.
_AUTHORITIES: tuple[tuple[str, str, AuthorityType], ...] = (
    ("police", "police cybercrime unit", AuthorityType.POLICE),
    ("prosecutor", "public prosecutor's office", AuthorityType.PROSECUTOR),
    ("court", "district court", AuthorityType.JUDGE),
    ("regulator", "digital services coordinator", AuthorityType.REGULATOR),
)

#: Demo users: (username, role, organisation id). Their tokens are issued anew on each run.
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("demo-admin", Role.ADMINISTRATOR, "org_oversight_ie"),
    ("demo-auditor", Role.AUDITOR, "org_oversight_ie"),
    ("demo-officer", Role.OFFICER, "org_ie_police"),
    ("demo-judge", Role.JUDGE, "org_ie_court"),
    ("demo-platform", Role.PLATFORM, "bazaar-ltd"),
    ("demo-officer-de", Role.OFFICER, "org_de_police"),
    ("demo-platform-de", Role.PLATFORM, "marktplatz-gmbh"),
)


@dataclass(frozen=True)
class SetupReport:
    organisations: int
    users: int
    documents: dict[str, int]
    keys: int
    tokens: dict[str, str]


def _ensure_org(
    session: Session,
    clock: Clock,
    org_id: str,
    name: str,
    kind: OrganisationKind,
    jurisdiction: str,
    authority_type: AuthorityType | None = None,
    *,
    operates_node: bool = False,
) -> None:
    if session.get(Organisation, org_id) is None:
        identity.create_organisation(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            name=name,
            kind=kind,
            jurisdiction=jurisdiction,
            authority_type=authority_type,
            org_id=org_id,
            operates_node=operates_node,
        )
    elif operates_node:  # a node set up before organisations were marked as running it
        identity.set_node_operator(
            session, clock=clock, actor=SYSTEM_ACTOR, org_id=org_id, operates_node=True
        )


def _ensure_keys(session: Session, clock: Clock, keystore: Keystore) -> int:
    """A trust anchor per demo jurisdiction, node keys, and a signing key per demo authority."""
    for code in DEMO_JURISDICTIONS:
        anchor = session.scalar(
            select(TrustAnchor).where(TrustAnchor.jurisdiction == code, TrustAnchor.local)
        )
        if anchor is None:
            keys.create_anchor(session, clock=clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction=code)
        held = {(k.purpose, k.organisation) for k in keys.list_keys(session, jurisdiction=code)}
        for purpose in (KeyPurpose.NODE_SIGNING, KeyPurpose.NODE_ENCRYPTION):
            if (purpose, None) not in held:
                keys.register_key(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    keystore=keystore,
                    jurisdiction=code,
                    purpose=purpose,
                    label=f"{code} node (demo)",
                )
        for suffix, _name, authority_type in _AUTHORITIES:
            org_id = f"org_{code.lower()}_{suffix}"
            if (KeyPurpose.AUTHORITY_SIGNING, org_id) not in held:
                keys.register_key(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    keystore=keystore,
                    jurisdiction=code,
                    purpose=KeyPurpose.AUTHORITY_SIGNING,
                    organisation=org_id,
                    authority_type=authority_type,
                    label=f"{org_id} (demo)",
                )
    return len(keys.list_keys(session))


def set_up(session: Session, *, clock: Clock, keystore: Keystore) -> SetupReport:
    """Create the demo organisations and users (once) and install the bundled documents, approved."""
    for code in DEMO_JURISDICTIONS:
        for suffix, name, authority_type in _AUTHORITIES:
            _ensure_org(
                session,
                clock,
                f"org_{code.lower()}_{suffix}",
                f"{code} {name} (demo)",
                OrganisationKind.AUTHORITY,
                code,
                authority_type,
            )
    _ensure_org(
        session, clock, "bazaar-ltd", "Bazaar Ltd (demo marketplace)", OrganisationKind.PLATFORM, "IE"
    )
    _ensure_org(
        session,
        clock,
        "marktplatz-gmbh",
        "Marktplatz GmbH (demo marketplace)",
        OrganisationKind.PLATFORM,
        "DE",
    )
    # The demo's oversight board also runs the node (its administrator administers users, keys, peers).
    _ensure_org(
        session,
        clock,
        "org_oversight_ie",
        "Comity Oversight Board (demo)",
        OrganisationKind.OVERSIGHT,
        "IE",
        operates_node=True,
    )
    tokens: dict[str, str] = {}
    for username, role, org_id in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            issued = identity.add_user(
                session, clock=clock, actor=SYSTEM_ACTOR, username=username, role=role, organisation_id=org_id
            )
            tokens[username] = issued.token
        else:
            tokens[username] = identity.issue_token(
                session, clock=clock, actor=SYSTEM_ACTOR, user_id=user.id, label="demo run"
            )
    documents = install_bundled(
        session, clock=clock, proposer="user:demo-admin", approver="user:demo-auditor"
    )
    key_count = _ensure_keys(session, clock, keystore)
    return SetupReport(
        organisations=len(identity.list_organisations(session)),
        users=len(identity.list_users(session)),
        documents=documents,
        keys=key_count,
        tokens=tokens,
    )
