from typing import Optional

from pydantic import AliasChoices, BaseModel, Field, PostgresDsn, SecretStr


class PoolSettings(BaseModel):
    size: int = 10
    recycle_seconds: int = Field(3600, alias="recycle")


class DatabaseSettings(BaseModel):
    host: str = "localhost"
    port: int = 5432
    user: str = Field("app", alias="username")
    password: SecretStr = Field(validation_alias=AliasChoices("pass", "pwd"))
    dsn: Optional[PostgresDsn] = None
    pool: PoolSettings = PoolSettings()
