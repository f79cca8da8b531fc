"""Every feature readyctl reads, in one settings class (checked against pydantic)."""

from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import AliasChoices, AliasPath, AnyUrl, BaseModel, Field, HttpUrl, RedisDsn, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import enums
from app.enums import LogLevel
from .db import DatabaseSettings as Db

DEFAULT_NAME = "svc"


class SentrySettings(BaseSettings):
    """A BaseSettings used as a nested field: flattened like a BaseModel."""

    dsn: str = ""
    sample_rate: float = 0.1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="APP_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        env_file=".env",
    )

    class CacheSettings(BaseModel):
        url: RedisDsn = "redis://localhost:6379/0"
        ttl: int = 60
        mode: Literal["lru", "lfu"] = "lru"

    name: str = DEFAULT_NAME
    port: int = Field(8000, ge=1)
    ratio: float = 0.5
    debug: bool = False
    token: SecretStr
    mode: Literal["dev", "prod"] = "dev"
    level: LogLevel = LogLevel.INFO
    tier: enums.Tier = enums.Tier.FREE
    hosts: list[str] = Field(default_factory=list)
    tags: set[str] = set()
    labels: dict[str, str] = {}
    db: Db
    cache: Optional[CacheSettings] = None
    api_key: str = Field("", alias="SERVICE_API_KEY")
    region: str = Field("eu", validation_alias=AliasChoices("REGION", "AWS_REGION"))
    first_host: str = Field("x", validation_alias=AliasPath("HOSTS_JSON", 0))
    homepage: HttpUrl = "https://example.com/"
    callback: AnyUrl | None = None
    timeout: Optional[int] = None
    nickname: str | None
    retries: "int" = 3
    algorithm: Literal["HS256"] = "HS256"
    sentry: SentrySettings = Field(default_factory=SentrySettings)
    _private: int = 1
    LIMIT: ClassVar[int] = 3

    def describe(self) -> str:
        return self.name
