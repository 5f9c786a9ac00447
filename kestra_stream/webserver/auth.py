"""Basic authentication, as in Kestra OSS (0.24+): one shared credential, mandatory on ``/api/**``.

Credentials come from ``kestra.server.basic-auth.username/password`` (the configuration always wins)
or from the first-run setup endpoint (``POST /api/v1/main/basicAuth``, open only while no credential
exists). Setup credentials are stored **hashed** (scrypt, random 16-byte salt) in internal storage at
``/_kestra/settings/basic-auth.json``: internal storage is the one store every webserver instance
shares and reads without a consumer (a settings topic would need a reader in every process).
Verified tokens are cached (keyed by their SHA-256) so scrypt runs once per credential, not per call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from kestra_stream.storage import Storage, StorageFileNotFoundError, read_bytes
from kestra_stream.webserver.errors import Handler, conflict, error_response, invalid
from kestra_stream.webserver.http import json_body, json_response, services
from kestra_stream.webserver.routing import ARRAY, OBJECT, Scope, route
from kestra_stream.webserver.routing import json_body as json_body_doc

if TYPE_CHECKING:
    from kestra_stream.webserver.services import WebSettings

SETTINGS_URI = "kestra:///_kestra/settings/basic-auth.json"
COOKIE = "BASIC_AUTH"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_RELOAD_SECONDS = 10.0


def password_problems(username: str, password: str) -> list[str]:
    """Kestra's rules: the username is an email, the password 8-256 chars with upper, lower, digit."""
    problems = []
    if not _EMAIL.match(username or ""):
        problems.append("Invalid username for Basic Authentication. Please provide a valid email address.")
    if not (
        8 <= len(password or "") <= 256
        and re.search(r"[A-Z]", password)
        and re.search(r"[a-z]", password)
        and re.search(r"\d", password)
    ):
        problems.append(
            "Invalid password for Basic Authentication. The password must have 8 chars, "
            "one upper, one lower and one number"
        )
    return problems


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)


@dataclass(frozen=True, slots=True)
class StoredCredential:
    username: str
    salt: bytes
    password_hash: bytes

    @classmethod
    def create(cls, username: str, password: str) -> StoredCredential:
        salt = secrets.token_bytes(16)
        return cls(username, salt, hash_password(password, salt))

    def matches(self, username: str, password: str) -> bool:
        return hmac.compare_digest(self.username.encode(), username.encode()) & hmac.compare_digest(
            self.password_hash, hash_password(password, self.salt)
        )

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "username": self.username,
                "algorithm": "scrypt",
                "params": _SCRYPT,
                "salt": self.salt.hex(),
                "passwordHash": self.password_hash.hex(),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> StoredCredential:
        raw = orjson.loads(data)
        return cls(str(raw["username"]), bytes.fromhex(raw["salt"]), bytes.fromhex(raw["passwordHash"]))


class Credentials:
    def __init__(self, *, storage: Storage, settings: WebSettings) -> None:
        self._storage = storage
        self._lock = threading.Lock()
        self._verified: dict[bytes, float] = {}
        self._stored: StoredCredential | None = None
        self._loaded_at = 0.0
        self._config: StoredCredential | None = None
        self.configuration_errors: list[str] = []
        username, password = settings.config_username, settings.config_password
        if username and password:
            self.configuration_errors = password_problems(str(username), str(password))
            self._config = StoredCredential.create(str(username), str(password))

    def _current(self) -> StoredCredential | None:
        if self._config is not None:
            return self._config
        if time.monotonic() - self._loaded_at > _RELOAD_SECONDS:
            try:
                stored = StoredCredential.from_json(read_bytes(self._storage, SETTINGS_URI))
            except (StorageFileNotFoundError, FileNotFoundError):
                stored = None
            with self._lock:
                if stored != self._stored:
                    self._verified.clear()
                self._stored, self._loaded_at = stored, time.monotonic()
        return self._stored

    @property
    def initialized(self) -> bool:
        return self._current() is not None

    def check(self, token: str) -> bool:
        """Whether ``token`` (base64 ``user:password``) is the credential."""
        credential = self._current()
        if credential is None:
            return False
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            if digest in self._verified:
                return True
        try:
            username, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        if not credential.matches(username, password):
            return False
        with self._lock:
            self._verified[digest] = time.monotonic()
        return True

    def setup(self, username: str, password: str) -> None:
        if self.initialized:
            raise conflict("Basic authentication is already configured")
        problems = password_problems(username, password)
        if problems:
            raise invalid(problems[0])
        credential = StoredCredential.create(username, password)
        self._storage.put(SETTINGS_URI, credential.to_json())
        with self._lock:
            self._stored, self._loaded_at = credential, time.monotonic()
            self._verified.clear()


def request_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        return header[6:].strip()
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return cookie.removeprefix("Basic ").strip()
    return None


_ALWAYS_OPEN = (
    "/api/v1/configs",
    "/api/v1/basicAuthValidationErrors",
    "/api/v1/login",
    "/api/v1/logout",
    "/api/v1/openapi.json",
)
_SETUP_PATHS = ("/api/v1/main/basicAuth", "/api/v1/basicAuth")


def _is_open(request: web.Request, open_urls: tuple[str, ...], initialized: bool) -> bool:
    path = request.path
    if not path.startswith("/api/"):
        return True
    if path.startswith(open_urls) or path in _ALWAYS_OPEN:
        return True
    return path in _SETUP_PATHS and not initialized


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    web_services = services(request)
    credentials = web_services.credentials
    if _is_open(request, web_services.settings.open_urls, credentials.initialized):
        return await handler(request)
    token = request_token(request)
    if token is not None and credentials.check(token):
        return await handler(request)
    message = (
        "Unauthorized" if credentials.initialized else "Basic authentication is not configured: run the setup"
    )
    response = error_response(request, 401, message)
    if not is_xhr(request):
        response.headers["WWW-Authenticate"] = f'Basic realm="{web_services.settings.realm}"'
    return response


def is_xhr(request: web.Request) -> bool:
    """A script's call (``X-Requested-With: XMLHttpRequest``, sent by the UI): its 401 carries no
    ``WWW-Authenticate``, so the browser shows no credentials dialog of its own; the page handles it."""
    return request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest"


async def setup_basic_auth(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise invalid("expected {username, password}")
    services(request).credentials.setup(str(body.get("username") or ""), str(body.get("password") or ""))
    return web.Response(status=204)


async def validation_errors(request: web.Request) -> web.Response:
    return json_response(services(request).credentials.configuration_errors)


async def login(request: web.Request) -> web.Response:
    body: Any = await json_body(request)
    username, password = (
        (str(body.get(k) or "") for k in ("username", "password")) if isinstance(body, dict) else ("", "")
    )
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    if not services(request).credentials.check(token):
        return error_response(request, 401, "Invalid credentials")
    response = web.Response(status=204)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
    response.set_cookie("kestraBasicAuthenticated", "true", samesite="Strict", path="/")
    return response


async def logout(request: web.Request) -> web.Response:
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    response.del_cookie("kestraBasicAuthenticated", path="/")
    return response


CREDENTIAL_SCHEMA = {
    "type": "object",
    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
    "required": ["username", "password"],
}

ROUTES = [
    route(
        "POST",
        "/basicAuth",
        setup_basic_auth,
        "First-run setup of the basic-auth credential",
        "Auth",
        body=json_body_doc(CREDENTIAL_SCHEMA),
        statuses=(204, 409, 422),
    ),
    route(
        "GET",
        "/basicAuthValidationErrors",
        validation_errors,
        "Configuration errors of basic auth",
        "Auth",
        scope=Scope.INSTANCE,
        response=ARRAY,
    ),
    route(
        "POST",
        "/login",
        login,
        "Set the BASIC_AUTH cookie",
        "Auth",
        scope=Scope.INSTANCE,
        body=json_body_doc(CREDENTIAL_SCHEMA),
        statuses=(204, 401),
    ),
    route(
        "POST",
        "/logout",
        logout,
        "Clear the BASIC_AUTH cookie",
        "Auth",
        scope=Scope.INSTANCE,
        statuses=(204,),
    ),
]
_ = OBJECT
