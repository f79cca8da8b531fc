"""`class Config`, case-sensitive names, a custom delimiter, inheritance."""

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings


class Sub(BaseModel):
    Inner: int = 1
    flag: bool = Field(True, alias="Flag")


class Base(BaseSettings):
    class Config:
        env_prefix = "LEG_"
        case_sensitive = True
        env_nested_delimiter = "--"

    Value: int = 1
    nested: Sub = Sub()


class LegacySettings(Base):
    extra_field: str = "e"
    Value: int = 2
