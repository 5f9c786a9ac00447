"""``secret``, ``credential``, ``kv``, ``read``, ``fileURI``, file metadata, ``encrypt``/``decrypt``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.functions._context import flow_namespace, services
from kestra_stream.expressions.services import require


@pass_context
def secret(context: Context, key: str, namespace: str | None = None) -> str:
    available = services(context)
    lookup = require(available.secret, "secret")
    value = lookup(key, namespace or flow_namespace(context))
    if value is None:
        raise ExpressionError(f"Cannot find secret for key '{key}'.")
    if available.on_secret is not None:
        available.on_secret(value)
    return str(value)


@pass_context
def credential(context: Context, name: str) -> str:
    return str(require(services(context).credential, "credential")(name))


@pass_context
def kv(context: Context, key: str, namespace: str | None = None, errorOnMissing: bool = True) -> Any:
    store = require(services(context).kv, "kv")
    target_namespace = namespace or flow_namespace(context)
    if target_namespace is None:
        raise ExpressionError("kv(): no namespace given and no flow namespace in the context")
    value = store.get(target_namespace, key)
    if value is None and errorOnMissing:
        raise ExpressionError(f"The key '{key}' does not exist in the namespace '{target_namespace}'.")
    return value


@pass_context
def read(context: Context, path: str, namespace: str | None = None) -> str:
    reader = require(services(context).read, "read")
    return str(reader(path, namespace or flow_namespace(context)))


@pass_context
def file_uri(context: Context, path: str, namespace: str | None = None) -> str:
    resolver = require(services(context).file_uri, "fileURI")
    return str(resolver(path, namespace or flow_namespace(context)))


@pass_context
def file_size(context: Context, path: str) -> int:
    return int(require(services(context).file_size, "fileSize")(path))


@pass_context
def file_exists(context: Context, path: str) -> bool:
    return bool(require(services(context).file_exists, "fileExists")(path))


@pass_context
def is_file_empty(context: Context, path: str) -> bool:
    return bool(require(services(context).is_file_empty, "isFileEmpty")(path))


@pass_context
def encrypt(context: Context, key: str, plaintext: str) -> str:
    return str(require(services(context).encrypt, "encrypt")(key, plaintext))


@pass_context
def decrypt(context: Context, key: str, encrypted: str) -> str:
    return str(require(services(context).decrypt, "decrypt")(key, encrypted))


DATA_ACCESS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "secret": secret,
    "credential": credential,
    "kv": kv,
    "read": read,
    "fileURI": file_uri,
    "fileSize": file_size,
    "fileExists": file_exists,
    "isFileEmpty": is_file_empty,
    "encrypt": encrypt,
    "decrypt": decrypt,
}
