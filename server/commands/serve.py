"""`imageset-search serve`: the MCP server, over stdio (the desktop-host default) or streamable HTTP.

Every option also reads an environment variable, IMAGESET_SEARCH_<OPTION> (for example IMAGESET_SEARCH_BACKEND),
so a desktop host's `env` block can configure it.
"""

import os

from imageset_search.server.config import env_default, env_name, switch
from imageset_search.server.errors import CommandError


def _option(parser, option: str, help: str, **kwargs) -> None:
    kwargs.setdefault("default", env_default(option))
    parser.add_argument(option, help=f"{help} (env {env_name(option)})", **kwargs)


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "serve", parents=[common], help="run the MCP server", description=__doc__.split("\n\n")[0]
    )
    _option(parser, "--transport", "stdio (default) or http", choices=["stdio", "http"])
    _option(parser, "--host", "HTTP bind address (default 127.0.0.1)")
    _option(parser, "--port", "HTTP port (default 8000)", type=int)
    _option(parser, "--auth-token-env", "name of the environment variable holding the HTTP bearer token",
            metavar="VAR")  # fmt: skip
    _option(parser, "--backend", "local (default), aws or dicomweb", choices=["local", "aws", "dicomweb"])
    _option(parser, "--datastore-id", "the datastore searched when a call names none")
    _option(parser, "--timezone", "IANA zone that 'today' is read in (default: the machine's)")
    _option(parser, "--log-level", "stderr log level: DEBUG, INFO (default), WARNING, ERROR")
    _option(parser, "--debug", "this server's own DEBUG logs (libraries stay at INFO: no payloads, no patient data)",
            action="store_true")  # fmt: skip
    add_aws_options(
        parser.add_argument_group("AWS backend (--ca-bundle, --no-verify-ssl and --read-timeout serve DICOMweb too)")
    )
    add_dicomweb_options(parser.add_argument_group("DICOMweb backend"))
    parser.set_defaults(run=run)


def add_dicomweb_options(group) -> None:
    """The DICOMweb backend's options; secrets are named by variable, never passed as values."""
    _option(group, "--dicomweb-url", "the archive's DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web", metavar="URL")
    _option(group, "--dicomweb-auth", "none (default), basic or bearer", choices=["none", "basic", "bearer"])
    _option(group, "--dicomweb-user", "basic auth: the user name", metavar="NAME")
    _option(group, "--dicomweb-password-env", "basic auth: the variable holding the password", metavar="VAR")
    _option(group, "--dicomweb-token-env", "bearer auth: the variable holding the token", metavar="VAR")


def dicomweb_options(args) -> dict:
    """DicomwebDatastore's settings from the flags; a missing URL is a command-line error that says what to pass."""
    from imageset_search.datastores.dicomweb.auth import Auth
    from imageset_search.datastores.dicomweb.qido import DEFAULT_TIMEOUT, QidoOptions
    from imageset_search.datastores.errors import DatastoreError

    if not args.dicomweb_url:
        raise CommandError(
            "--backend dicomweb needs --dicomweb-url (or IMAGESET_SEARCH_DICOMWEB_URL): the archive's DICOMweb root"
        )
    try:
        auth = Auth(
            args.dicomweb_auth or "none",
            username=args.dicomweb_user,
            password_env=args.dicomweb_password_env,
            token_env=args.dicomweb_token_env,
        )
        return {
            "options": QidoOptions(
                args.dicomweb_url,
                auth,
                ca_bundle=args.ca_bundle,
                verify_ssl=not switch(args.no_verify_ssl, "--no-verify-ssl"),
                timeout=args.read_timeout or DEFAULT_TIMEOUT,
            )
        }
    except DatastoreError as exc:
        raise CommandError(exc.message) from None


def add_aws_options(group) -> None:
    """The AWS backend's options (each also read from IMAGESET_SEARCH_<OPTION>), as `aws_options` reads them back."""
    _option(group, "--region", "AWS Region", metavar="REGION")
    _option(group, "--profile", "AWS profile", metavar="NAME")
    _option(group, "--endpoint-url", "a HealthImaging endpoint instead of AWS's (host-prefix injection is turned off)",
            metavar="URL")  # fmt: skip
    _option(group, "--connect-timeout", "seconds to wait for a connection", type=float, metavar="SECONDS")
    _option(group, "--read-timeout", "seconds to wait for an answer", type=float, metavar="SECONDS")
    _option(group, "--ca-bundle", "CA bundle for TLS verification", metavar="PATH")
    _option(group, "--no-verify-ssl", "do not verify TLS certificates", action="store_true")
    _option(group, "--retry-mode", "botocore retry mode: standard (default), adaptive or legacy", metavar="MODE")
    _option(group, "--max-attempts", "attempts per request, the first included (default 3)", type=int, metavar="N")
    _option(group, "--no-qido", "search modality and patient name by scanning SearchImageSets pages only, without "
            "HealthImaging's DICOMweb QIDO-RS (for credentials without medical-imaging:SearchDICOMStudies)",
            action="store_true")  # fmt: skip


def aws_options(args) -> dict:
    found = {
        "region": args.region,
        "profile": args.profile,
        "endpoint_url": args.endpoint_url,
        "connect_timeout": args.connect_timeout,
        "read_timeout": args.read_timeout,
        "ca_bundle": args.ca_bundle,
        "verify_ssl": not switch(args.no_verify_ssl, "--no-verify-ssl"),
        "retry_mode": args.retry_mode,
        "max_attempts": args.max_attempts,
        "qido": not switch(getattr(args, "no_qido", False), "--no-qido"),
    }
    return {key: value for key, value in found.items() if value is not None}


def _token(args) -> str | None:
    if not args.auth_token_env:
        return None
    token = os.environ.get(args.auth_token_env)
    if not token:
        raise CommandError(f"--auth-token-env names {args.auth_token_env}, but that environment variable is empty")
    return token


def _check_store_path(option: str | None) -> None:
    """Refuse at start, in one line, a --db the local datastore could never open (rather than at the first call)."""
    from imageset_search.server.config import db_path

    path = db_path(option)
    if path.is_dir():
        raise CommandError(f"--db {path} is a folder; give the path of an SQLite file (it is created if missing)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot use --db {path}: {exc.strerror or exc}; give a path in a writable folder") from None


def run(args) -> int:
    from imageset_search.server.app import create_server
    from imageset_search.server.backends import open_datastore
    from imageset_search.server.config import timezone
    from imageset_search.server.logs import configure
    from imageset_search.tools.settings import Settings

    configure(debug=switch(args.debug, "--debug"), level=args.log_level)
    try:
        settings = Settings(tz=timezone(args.timezone), default_datastore_id=args.datastore_id)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    backend = args.backend or "local"
    if backend == "local":
        _check_store_path(args.db)
    options = aws_options(args) if backend == "aws" else dicomweb_options(args) if backend == "dicomweb" else {}
    server = create_server(lambda: open_datastore(backend, args.db, **options), settings)
    if (args.transport or "stdio") == "stdio":
        server.run()
        return 0
    from imageset_search.server.http import serve_http

    serve_http(server, args.host or "127.0.0.1", args.port or 8000, _token(args))
    return 0
