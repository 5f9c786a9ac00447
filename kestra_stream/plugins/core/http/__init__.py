"""``io.kestra.plugin.core.http.*``: HTTP calls and downloads."""

from kestra_stream.plugins.core.http.download import Download
from kestra_stream.plugins.core.http.request import Request
from kestra_stream.plugins.core.http.trigger import HttpTrigger

__all__ = ["Download", "HttpTrigger", "Request"]
