"""The webserver: Kestra's REST API (``/api/v1/main/...`` and the legacy ``/api/v1/...``), basic auth,
SSE followers and the UI hook, on aiohttp. Reads go to the repository, writes to the queue."""

from kestra_stream.webserver.app import api_routes, build_app
from kestra_stream.webserver.services import WebServices, WebSettings

__all__ = ["WebServices", "WebSettings", "api_routes", "build_app"]
