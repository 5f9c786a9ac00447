"""``io.kestra.plugin.core.http.*``: HTTP calls and downloads."""

from kestra_stream.plugins.core.http.download import Download
from kestra_stream.plugins.core.http.request import Request

__all__ = ["Download", "Request"]
