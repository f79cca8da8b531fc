from pydantic import BaseModel


class Vendor(BaseModel):
    key: str = "k"
