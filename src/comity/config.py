"""Node settings, read from the environment (``COMITY_*``) by pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of one Comity node."""

    model_config = SettingsConfigDict(env_prefix="COMITY_", extra="ignore")

    home: Path = Field(default=Path("./var"), description="Folder for the SQLite file, keys and evidence.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file in COMITY_HOME."
    )
    log_level: str = Field(default="INFO")
    log_format: str = Field(default="json", description="json or text")
    node_jurisdiction: str = Field(
        default="IE", description="ISO 3166 code of the jurisdiction this node serves."
    )
    base_url: str = Field(default="http://127.0.0.1:8000")
    public_origin: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+$",
        description=(
            "Origin browsers use to reach this node's pages (scheme://host[:port]) when it differs from what "
            "the server sees, e.g. behind a TLS-terminating proxy; forms posted from it are accepted."
        ),
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for notices sent by e-mail.")
    smtp_port: int = Field(default=25, description="Port of the SMTP server.")
    mail_from: str = Field(default="notices@comity.invalid", description="Sender address of notices.")
    evidence_max_bytes: int = Field(
        default=1 << 30, gt=0, description="Largest evidence upload accepted, in bytes (default 1 GiB)."
    )

    inbox_rate_per_s: float = Field(
        default=50.0,
        gt=0,
        description="Requests per second one address may make to the public federation inbox (sustained).",
    )
    inbox_burst: int = Field(
        default=200, gt=0, description="Requests one address may make to the inbox at once before it waits."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'comity.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
