from enum import Enum, IntEnum


class LogLevel(str, Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"


class Tier(IntEnum):
    FREE = 0
    PRO = 1
