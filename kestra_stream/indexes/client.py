"""An Elasticsearch client built from Kestra's ``kestra.elasticsearch.client.*`` keys."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from kestra_stream.config import Config


class ElasticsearchConfigError(ValueError):
    pass


def http_hosts(config: Config) -> list[str]:
    hosts = config.get("kestra.elasticsearch.client.http-hosts")
    if hosts is None or hosts == "":
        raise ElasticsearchConfigError(
            "no Elasticsearch hosts: set kestra.elasticsearch.client.http-hosts "
            "(env KESTRA_ELASTICSEARCH_CLIENT_HTTP_HOSTS)"
        )
    if isinstance(hosts, str):
        return [host.strip() for host in hosts.split(",") if host.strip()]
    return [str(host) for host in hosts]


def elasticsearch_client(config: Config, *, timeout_seconds: float = 30.0) -> Elasticsearch:
    options: dict[str, Any] = {"request_timeout": timeout_seconds}
    username = config.get("kestra.elasticsearch.client.basic-auth.username")
    if username is not None:
        password = config.get("kestra.elasticsearch.client.basic-auth.password", "")
        options["basic_auth"] = (str(username), str(password))
    if config.get("kestra.elasticsearch.client.trust-all-ssl") is True:
        options["verify_certs"] = False
        options["ssl_show_warn"] = False
    return Elasticsearch(http_hosts(config), **options)
