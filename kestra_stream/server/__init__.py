"""Processes: ``server local|standalone|executor|worker`` assembled from the engine's parts."""

from kestra_stream.server.instances import (
    Heartbeater,
    LivenessTracker,
    ServiceInstance,
    ServiceRole,
    ServiceState,
)
from kestra_stream.server.logging import configure_logging
from kestra_stream.server.management import ManagementServer
from kestra_stream.server.runner import Server, ServerPlan, publish_flows
from kestra_stream.server.settings import ServerSettings

__all__ = [
    "Heartbeater",
    "LivenessTracker",
    "ManagementServer",
    "Server",
    "ServerPlan",
    "ServerSettings",
    "ServiceInstance",
    "ServiceRole",
    "ServiceState",
    "configure_logging",
    "publish_flows",
]
