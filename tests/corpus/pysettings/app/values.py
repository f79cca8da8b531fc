"""Every kind of value pydantic-settings parses, one field each: the corpus of
tests/it/settings_values.rs, which sets good and bad values and compares
readyctl's verdict with Settings()'s own."""

from enum import Enum, IntEnum
from typing import Annotated, List, Literal, Optional, Tuple, Union

from pydantic import (
    AliasChoices,
    AnyUrl,
    BaseModel,
    Field,
    HttpUrl,
    PositiveInt,
    PostgresDsn,
    RedisDsn,
    SecretStr,
    ValidationInfo,
    conint,
    constr,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict


class Color(str, Enum):
    RED = "red"
    GREEN = "green"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Mode(Enum):
    FAST = "fast"
    SLOW = "slow"


class Cors(BaseModel):
    origins: list[str] = []
    max_age: int = Field(600, ge=0, le=86400)
    allow_credentials: bool = False
    mode: Mode = Mode.FAST


class Db(BaseModel):
    host: str = "localhost"
    port: int = 5432


class Values(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="V_",
        env_nested_delimiter="__",
        use_enum_values=True,
        extra="ignore",
    )

    hosts: list[str] = []
    ports: List[int] = []
    ratios: list[float] = []
    flags: list[bool] = []
    tags: set[str] = set()
    frozen: frozenset[int] = frozenset()
    pair: Tuple[str, int] = ("a", 1)
    many: tuple[int, ...] = ()
    labels: dict[str, str] = {}
    limits: dict[str, int] = {}
    colors: list[Color] = []
    maybe_hosts: Optional[list[str]] = None
    hosts_or_text: Union[list[str], str] = ""
    cors: Cors = Cors()
    db: Optional[Db] = None
    color: Color = Color.RED
    level: Level = Level.LOW
    mode: Mode = Mode.FAST
    stage: Literal["dev", "prod"] = "dev"
    tier: Literal[1, 2] = 1
    maybe_stage: Optional[Literal["a", "b"]] = None
    debug: bool = False
    workers: int = 4
    ratio: float = 0.5
    timeout: Optional[int] = None
    port: int = Field(8000, ge=1, le=65535)
    percent: Annotated[float, Field(gt=0, lt=100)] = 50.0
    size: PositiveInt = 1
    count: conint(ge=0, le=10) = 0
    step: int = Field(10, multiple_of=5)
    code: str = Field("ab", min_length=2, max_length=4)
    slug: str = Field("a", pattern=r"^[a-z-]+$")
    word: constr(min_length=3) = "abc"
    some: list[str] = Field(["x"], min_length=1, max_length=2)
    token: SecretStr = SecretStr("t")
    long_key: SecretStr = Field(SecretStr("k" * 8), min_length=8)
    homepage: HttpUrl = "https://x.example/"
    link: AnyUrl = "https://x.example/"
    dsn: PostgresDsn = "postgresql://u@h/d"
    cache: RedisDsn = "redis://r:6379/0"
    region: str = Field("eu", validation_alias=AliasChoices("REGION", "V_AWS_REGION"))
    limit: int = Field(1, alias="MAX_LIMIT")


class Flat(BaseSettings):
    """No delimiter: nested models come whole, as JSON; enum names parsed."""

    model_config = SettingsConfigDict(env_parse_enums=True, case_sensitive=False)

    db: Db = Db()
    color: Color = Color.RED
    mode: Mode = Mode.FAST
    level: Level = Level.LOW
    hosts: list[str] = []


class Env(str, Enum):
    DEV = "dev"
    PROD = "prod"


class Guarded(BaseSettings):
    """@field_validator raises: guarded by an earlier field, unguarded, and
    guarded by a later field (which pydantic's info.data does not hold yet)."""

    model_config = SettingsConfigDict(env_prefix="G_")

    env: Env = Env.DEV
    secret: str = ""
    token: str = "tok"
    early: str = ""
    stage: Env = Env.DEV

    @field_validator("secret")
    def check_secret(cls, v: str, info: ValidationInfo) -> str:
        """Required in production."""
        if info.data.get("env") == Env.PROD:
            if not v or v in ("", "change-me"):
                raise ValueError("secret is required in production")
            if len(v) < 8:
                raise ValueError("secret must be at least 8 characters")
        return v

    @field_validator("token")
    def check_token(cls, v: str) -> str:
        if v in ("change-me", "x"):
            raise ValueError("placeholder token")
        return v

    @field_validator("early")
    def check_early(cls, v: str, info: ValidationInfo) -> str:
        if info.data.get("stage") == Env.PROD:
            if not v:
                raise ValueError("never raised: stage is validated after early")
        return v
