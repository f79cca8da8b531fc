"""populate_by_name at the top level and in a nested model."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Inner(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    secret_value: str = Field("s", alias="secret")


class PopulateSettings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", populate_by_name=True)
    api_url: str = Field("http://x/", alias="API")
    inner: Inner = Inner()
    plain: int = 0
