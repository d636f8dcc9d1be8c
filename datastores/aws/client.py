"""The boto3 `medical-imaging` client: one per process and configuration, built on first use, shared by threads.

A boto3 client is thread-safe but costly to build (it loads the service model and resolves credentials), so the
server builds it once, lazily, so that an MCP host's `initialize` never waits for boto3. Credentials and region come
from the standard AWS chain (AWS_PROFILE, AWS_REGION, the credentials and config files, SSO, instance roles) unless
the server's own options say otherwise. It also counts the requests each call sends, for error messages that say
how many attempts were made.
"""

import threading
from dataclasses import dataclass
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "imageset-search-mcp"
DEFAULT_LOCAL_REGION = "us-east-1"  # a custom endpoint still needs some region to sign for


@dataclass(frozen=True)
class ClientOptions:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    ca_bundle: str | None = None
    verify_ssl: bool = True
    retry_mode: str = "standard"
    max_attempts: int = 3

    def config_kwargs(self) -> dict[str, Any]:
        """botocore Config settings. `total_max_attempts` counts every attempt (botocore's `max_attempts` key counts
        retries only). A custom endpoint turns host-prefix injection off, else boto3 calls `runtime-<host>` for the
        image-set operations, a name that does not resolve."""
        kwargs: dict[str, Any] = {
            "retries": {"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            "user_agent_extra": USER_AGENT,
        }
        if self.connect_timeout is not None:
            kwargs["connect_timeout"] = self.connect_timeout
        if self.read_timeout is not None:
            kwargs["read_timeout"] = self.read_timeout
        if self.endpoint_url:
            kwargs["inject_host_prefix"] = False
        return kwargs

    def verify(self) -> bool | str | None:
        """boto3's `verify`: False to skip TLS checks, a CA bundle path, or None for the default chain."""
        if not self.verify_ssl:
            return False
        return self.ca_bundle or None


_clients: dict[ClientOptions, Any] = {}
_lock = threading.Lock()
_attempts = threading.local()  # requests sent by this thread's current call, retries included


def start_counting_attempts() -> None:
    _attempts.count = 0


def attempts_sent() -> int:
    """How many requests the current call sent: botocore's errors for a lost connection do not say, and its retry
    quota can stop retrying early, so the count is taken from the wire (one `before-send` event per attempt)."""
    return getattr(_attempts, "count", 0)


def _count_attempt(**_) -> None:
    _attempts.count = attempts_sent() + 1


def shared_client(options: ClientOptions):
    """The process's client for these options, built under a lock the first time it is asked for."""
    with _lock:
        client = _clients.get(options)
        if client is None:
            client = _clients[options] = build_client(options)
        return client


def forget_client(options: ClientOptions) -> None:
    """Drop the client for these options, so the next call builds one that looks its credentials up again."""
    with _lock:
        _clients.pop(options, None)


def build_client(options: ClientOptions):
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.Session()
    # boto3 answers timestamps with dateutil's tzutc(); the local store uses datetime.timezone.utc. Parse to the
    # latter so both backends return identical objects (same instant, same tzinfo, same repr).
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_utc_timestamp)
    session = boto3.Session(botocore_session=core, profile_name=options.profile, region_name=options.region)
    region = options.region or session.region_name or (DEFAULT_LOCAL_REGION if options.endpoint_url else None)
    config = Config(**options.config_kwargs())

    def make(config):
        return session.client(
            "medical-imaging",
            region_name=region,
            endpoint_url=options.endpoint_url,
            verify=options.verify(),
            config=config,
        )

    client = make(config)
    if config.inject_host_prefix and not is_aws_host(client.meta.endpoint_url):
        # An endpoint set outside our options (AWS_ENDPOINT_URL_MEDICAL_IMAGING, AWS_ENDPOINT_URL, the config file)
        # needs host-prefix injection off just as --endpoint-url does.
        client = make(config.merge(Config(inject_host_prefix=False)))
    client.meta.events.register("before-send.medical-imaging", _count_attempt)
    return client


def is_aws_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def _utc_timestamp(value):
    from botocore.utils import parse_timestamp

    return parse_timestamp(value).astimezone(timezone.utc)
