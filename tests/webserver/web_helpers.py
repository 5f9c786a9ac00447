"""Credentials of the webserver tests."""

from __future__ import annotations

import base64

USER = "admin@kestra.io"
PASSWORD = "Kestra123"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
