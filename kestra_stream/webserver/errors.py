"""Kestra's error shape (Micronaut ``JsonError``) and the exception → status mapping of its
``ErrorController``: invalid input 422, conflicting state 409, missing 404, missing parameter 400."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from aiohttp import web

from kestra_stream.flows import FlowValidationError
from kestra_stream.inputs import InputValidationError
from kestra_stream.kv import InvalidKVKeyError
from kestra_stream.repository import FilterError
from kestra_stream.storage import InvalidStorageUriError, StorageFileNotFoundError

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    message: str
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message}
        if self.path is not None:
            data["path"] = self.path
        return data


class ApiError(Exception):
    """An expected failure with its HTTP status; the message is what the client reads."""

    def __init__(self, status: int, message: str, errors: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = tuple(errors)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def invalid(message: str, errors: Sequence[ErrorDetail] = ()) -> ApiError:
    return ApiError(422, message, errors)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def error_body(request: web.Request, message: str, errors: Sequence[ErrorDetail] = ()) -> dict[str, Any]:
    return {
        "message": message,
        "_links": {"self": {"href": str(request.rel_url), "templated": False}},
        "_embedded": {"errors": [error.to_json() for error in errors] or [{"message": message}]},
    }


def error_response(
    request: web.Request, status: int, message: str, errors: Sequence[ErrorDetail] = ()
) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(error_body(request, message, errors)),
        content_type="application/json",
    )


def flow_violations(error: FlowValidationError) -> list[ErrorDetail]:
    return [
        ErrorDetail(message=str(violation), path=violation.path or None) for violation in error.violations
    ]


def _mapped(request: web.Request, error: Exception) -> web.Response | None:
    """The response of an exception Kestra maps to a client error, else None."""
    if isinstance(error, ApiError):
        return error_response(request, error.status, error.message, error.errors)
    if isinstance(error, FlowValidationError):
        details = flow_violations(error)
        message = "Invalid entity: " + "; ".join(detail.message for detail in details)
        return error_response(request, 422, message, details)
    if isinstance(error, InputValidationError):
        details = [ErrorDetail(message) for message in error.messages]
        return error_response(request, 422, "Invalid entity: " + "; ".join(error.messages), details)
    if isinstance(error, FilterError | InvalidKVKeyError | InvalidStorageUriError):
        return error_response(request, 422, str(error))
    if isinstance(error, StorageFileNotFoundError | FileNotFoundError):
        return error_response(request, 404, str(error))
    return None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as http:
        if http.status < 400 or http.content_type == "application/json":
            raise
        reason = http.text if http.text and not http.text.startswith(f"{http.status}:") else http.reason
        return error_response(request, http.status, reason or "error")
    except ConnectionResetError as error:
        if client_gone(request):
            # the client closed the connection (an SSE follow closed by the browser): a normal end,
            # which aiohttp drops quietly once it reaches it
            log.debug("api.client_disconnected", path=request.path, method=request.method)
            raise
        return _failure(request, error)
    except Exception as error:  # every other failure becomes Kestra's JSON error, never a stack page
        return _failure(request, error)


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _failure(request: web.Request, error: Exception) -> web.Response:
    mapped = _mapped(request, error)
    if mapped is not None:
        return mapped
    log.exception("api.internal_error", path=request.path, method=request.method)
    return error_response(request, 500, f"Internal server error: {type(error).__name__}: {error}")
