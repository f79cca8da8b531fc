"""What readyctl cannot read: it must say so, and invent no names."""

import os

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from thirdparty.models import Vendor


def _config():
    return {"env_prefix": os.environ.get("PREFIX", "DYN_")}


class DynamicSettings(BaseSettings):
    model_config = _config()

    known: int = 1
    vendor: Vendor = Field(default_factory=lambda: Vendor())
    level: str = Field(default_factory=lambda: os.getenv("LEGACY_LEVEL", "info"))

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (env_settings,)
