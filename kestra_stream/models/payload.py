"""Base of the runtime documents exchanged through queues, the repository and the API.

Unlike flow documents (strict: an unknown property is an error), payloads ignore unknown
properties, as Kestra's Jackson mapper does (``FAIL_ON_UNKNOWN_PROPERTIES: false``), so a newer
producer never breaks an older consumer.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Payload(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """Kestra's JSON shape: camelCase, ISO-8601 dates and durations, no null properties."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_json_dict())

    @classmethod
    def from_json(cls, data: bytes | str) -> Any:
        return cls.model_validate(orjson.loads(data))
