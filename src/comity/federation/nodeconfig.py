"""One node from a config file: its name, jurisdiction, home, database, keys and peers (TOML).

::

    name = "ie-node"
    jurisdiction = "IE"
    home = "/srv/comity/ie"                       # keystore and, by default, the SQLite file
    database_url = "postgresql+psycopg://..."     # optional
    create_keys = true                            # create the anchor and node keys if missing
    base_url = "https://ie.node.example"          # optional: the node's own address (names its log)
    worker = true                                 # serve --config also runs the worker (default: false)
    worker_interval = 0.5                         # seconds between the worker's ticks

    [[peers]]
    jurisdiction = "DE"
    url = "https://de.node.example"
    trust_store = "trust/de.json"                 # the peer's exported trust store (relative: to this file)
    agreements = ["eev-eu5"]

    [[witnesses]]                                 # optional: have the log's checkpoints cosigned
    url = "https://witness.example/fr"            # the witness's add-checkpoint prefix
    vkey = "witness.example/fr+1a2b3c4d+..."      # its cosignature vkey (comity witness vkey),
                                                  # or vkey_file = "trust/witness.vkey"

``comity serve --config FILE --worker`` (or ``worker = true`` in the file) also runs the worker (outbox
delivery, dispatch of received messages, the log and its witnessing, due dates...) in a background thread
that stops with the server; without it, run ``comity worker --config FILE`` beside the server (the same
file, the same settings), as a deployment with several API processes on one PostgreSQL database does.

Applying a config is idempotent: a trust store already imported (same digest) is not imported again,
peers are added or updated, and keys are created only when missing. The keystore passphrase never sits in
the file: it comes from ``COMITY_KEYSTORE_PASSPHRASE`` as for every node.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.config import Settings
from comity.errors import FieldError, InvalidInput, NotFound
from comity.federation import directory
from comity.federation.model import PeerTrustImport
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.keys.model import AnchorStatus, TrustAnchor
from comity.signing.keys import KeyPurpose
from comity.web.container import Container
from comity.worker.jobs import Job
from comity.worker.witnessing import JOB_NAME as WITNESS_JOB
from comity.worker.witnessing import WitnessTarget, witnessing_job


class PeerConfig(BaseModel):
    """One peer of the node."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction: str = Field(min_length=2, max_length=2)
    url: str
    trust_store: Path
    agreements: list[str] = Field(default_factory=list)
    name: str = ""


class WitnessConfig(BaseModel):
    """A witness the node asks to cosign its log checkpoints (C2SP tlog-witness): its vkey inline, or a
    file holding it (``vkey_file``, read when the worker starts: the witness may be set up after the file
    is written)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    vkey: str | None = None
    vkey_file: Path | None = None

    @model_validator(mode="after")
    def _one_vkey(self) -> WitnessConfig:
        if (self.vkey is None) == (self.vkey_file is None):
            raise ValueError("give the witness's vkey or its vkey_file (one of them)")
        return self

    def resolved_vkey(self) -> str:
        if self.vkey is not None or self.vkey_file is None:
            return self.vkey or ""
        try:
            return self.vkey_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read the witness vkey file {self.vkey_file}",
                [FieldError("witnesses.vkey_file", str(exc.strerror))],
            ) from None


class NodeConfig(BaseModel):
    """A node's config file."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    jurisdiction: str = Field(min_length=2, max_length=2)
    home: Path
    database_url: str | None = None
    create_keys: bool = False
    base_url: str | None = None
    worker: bool = False
    worker_interval: float = Field(default=1.0, gt=0, le=3600)
    peers: list[PeerConfig] = Field(default_factory=list)
    witnesses: list[WitnessConfig] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> NodeConfig:
        """Read and check the file; relative paths are taken relative to the file's folder."""
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            config = cls.model_validate(raw)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}", [FieldError("config", str(exc.strerror))]) from None
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{path} is not TOML", [FieldError("config", str(exc))]) from None
        except ValidationError as exc:
            errors = [FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
            raise InvalidInput(f"{path}: invalid node config", errors) from None
        base = path.parent
        config.home = config.home if config.home.is_absolute() else base / config.home
        for peer in config.peers:
            if not peer.trust_store.is_absolute():
                peer.trust_store = base / peer.trust_store
        for witness in config.witnesses:
            if witness.vkey_file is not None and not witness.vkey_file.is_absolute():
                witness.vkey_file = base / witness.vkey_file
        return config

    def settings(self) -> Settings:
        """The node's settings (the rest still from ``COMITY_*`` variables)."""
        settings = Settings(
            home=self.home,
            node_jurisdiction=self.jurisdiction.upper(),
            database_url=self.database_url or None,
        )
        if self.base_url:
            settings = settings.model_copy(update={"base_url": self.base_url})
        return settings

    def worker_jobs(self) -> dict[str, Job]:
        """The jobs this file adds to the node's registered ones (witnessing, when witnesses are named)."""
        if not self.witnesses:
            return {}
        targets = [WitnessTarget(url=w.url, vkey=w.resolved_vkey()) for w in self.witnesses]
        return {WITNESS_JOB: witnessing_job(targets)}


def _ensure_keys(session: Session, *, clock: Clock, actor: str, keystore: Keystore, code: str) -> None:
    anchor = session.scalar(
        select(TrustAnchor).where(
            TrustAnchor.jurisdiction == code, TrustAnchor.local, TrustAnchor.status == AnchorStatus.ACTIVE
        )
    )
    if anchor is None:
        keys.create_anchor(session, clock=clock, actor=actor, keystore=keystore, jurisdiction=code)
    for purpose in (KeyPurpose.NODE_SIGNING, KeyPurpose.NODE_ENCRYPTION):
        try:
            keys.current_key(session, purpose=purpose, jurisdiction=code, at=clock.now())
        except NotFound:  # none valid now: register one
            keys.register_key(
                session, clock=clock, actor=actor, keystore=keystore, jurisdiction=code, purpose=purpose
            )


def apply(
    config: NodeConfig, session: Session, *, clock: Clock, actor: str, keystore: Keystore
) -> dict[str, int]:
    """Bring the node's keys, trust imports and peers in line with ``config``; returns what was done."""
    code = config.jurisdiction.upper()
    done = {"trust_imported": 0, "peers": 0}
    if config.create_keys:
        _ensure_keys(session, clock=clock, actor=actor, keystore=keystore, code=code)
    for peer in config.peers:
        try:
            document = peer.trust_store.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read the trust store of {peer.jurisdiction}",
                [FieldError(f"peers.{peer.jurisdiction}.trust_store", str(exc.strerror))],
            ) from None
        digest = hashlib.sha256(document).hexdigest()
        if session.scalar(select(PeerTrustImport.id).where(PeerTrustImport.digest == digest)) is None:
            directory.import_trust(session, clock=clock, actor=actor, node=code, document=document)
            done["trust_imported"] += 1
        directory.add_peer(
            session,
            clock=clock,
            actor=actor,
            node=code,
            jurisdiction=peer.jurisdiction,
            base_url=peer.url,
            name=peer.name,
            agreements=peer.agreements,
        )
        done["peers"] += 1
    return done


def open_node(path: Path, *, actor: str) -> tuple[NodeConfig, Container, dict[str, int]]:
    """Open the node a config file describes, migrate it and apply the file (keys, trust, peers)."""
    from comity.migrations import upgrade

    config = NodeConfig.load(path)
    container = Container.from_settings(config.settings())
    upgrade(container.engine)
    with container.transaction() as session:
        done = apply(
            config,
            session,
            clock=container.clock,
            actor=actor,
            keystore=Keystore.for_settings(container.settings),
        )
    return config, container, done
