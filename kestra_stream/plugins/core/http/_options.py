"""The request properties shared by ``http.Request`` and ``http.Download``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict

from kestra_stream.plugins.base import KestraModel, RunnableTask, dynamic


class HttpOptions(KestraModel):
    # Kestra keeps adding client knobs (proxy, charset, log flags…): unknown ones are ignored, not fatal.
    model_config = ConfigDict(extra="ignore")

    connect_timeout: str | None = None
    read_timeout: str | None = None
    connection_pool_idle_timeout: str | None = None
    read_idle_timeout: str | None = None
    follow_redirects: bool = True
    basic_auth_user: str | None = dynamic(None)
    basic_auth_password: str | None = dynamic(None)
    allow_failed: bool | None = None

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "connectionPoolIdleTimeout": "not implemented: the HTTP client's default pool idle timeout applies",
    }


class HttpAuth(KestraModel):
    type: Literal["BASIC", "BEARER"]
    username: str | None = dynamic(None)
    password: str | None = dynamic(None)
    token: str | None = dynamic(None)


class SslOptions(KestraModel):
    model_config = ConfigDict(extra="ignore")

    insecure_trust_all_certificates: bool = False


class HttpRequestTask(RunnableTask):
    uri: str = dynamic()
    method: str = "GET"
    body: Any = dynamic(None)
    form_data: dict[str, Any] | None = dynamic(None)
    content_type: str | None = dynamic(None)
    headers: dict[str, Any] | None = dynamic(None)
    options: HttpOptions | None = None
    auth: HttpAuth | None = None
    ssl_options: SslOptions | None = None
    allow_failed: bool = False
