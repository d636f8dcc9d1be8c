"""DICOMweb authentication over real HTTP: a loopback server that answers QIDO-RS only to the right bearer token,
and the rules that keep secrets out of options and messages."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from imageset_search.datastores.dicomweb.auth import Auth
from imageset_search.datastores.dicomweb.qido import QidoClient, QidoOptions, name_wildcard
from imageset_search.datastores.errors import AccessDeniedException, CredentialsError, ValidationException

TOKEN = "bearer-test-token-4711"


class BearerArchive(BaseHTTPRequestHandler):
    """QIDO-RS studies: one study for the right token, 401 otherwise; remembers what it saw."""

    seen: list[dict] = []

    def do_GET(self):
        BearerArchive.seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps([{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def archive_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BearerArchive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
    server.shutdown()
    server.server_close()


def test_a_bearer_token_is_read_from_its_variable_and_sent(archive_url, monkeypatch):
    monkeypatch.setenv("ARCHIVE_TOKEN", TOKEN)
    client = QidoClient(QidoOptions(archive_url, Auth("bearer", token_env="ARCHIVE_TOKEN")))
    records = client.studies({"PatientName": "*doe*"})
    assert records == [{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]
    assert BearerArchive.seen[-1]["path"].startswith("/dicom-web/studies?PatientName=*doe*")  # the wildcard as is


def test_a_wrong_token_is_refused_and_never_repeated(archive_url, monkeypatch):
    monkeypatch.setenv("ARCHIVE_TOKEN", "wrong-token-0815")
    client = QidoClient(QidoOptions(archive_url, Auth("bearer", token_env="ARCHIVE_TOKEN")))
    with pytest.raises(AccessDeniedException) as refused:
        client.studies({"PatientID": "SECRET-PATIENT"})
    message = str(refused.value)
    assert "HTTP 401" in message and "wrong-token" not in message and "SECRET-PATIENT" not in message
    assert "Bearer(<hidden>)" == repr(Auth("bearer", token_env="ARCHIVE_TOKEN").requests_auth())


def test_an_empty_secret_variable_is_named_not_guessed(monkeypatch):
    monkeypatch.delenv("ARCHIVE_PASSWORD", raising=False)
    with pytest.raises(CredentialsError, match="ARCHIVE_PASSWORD"):
        Auth("basic", username="u", password_env="ARCHIVE_PASSWORD").requests_auth()
    with pytest.raises(ValidationException, match="bearer auth needs"):
        Auth("bearer")
    with pytest.raises(ValidationException, match="http:// or https://"):
        QidoOptions("archive.example/dicom-web")


def test_sigv4_signs_for_healthimaging_with_the_aws_chain(monkeypatch):
    import requests

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    signer = Auth("sigv4", region="eu-west-1").requests_auth()
    request = requests.Request(
        "GET", "https://dicom-medical-imaging.eu-west-1.amazonaws.com/datastore/x/studies?a=1"
    ).prepare()
    signed = signer(request)
    assert signed.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/eu-west-1/medical-imaging/aws4_request" in signed.headers["Authorization"]


def test_tls_is_verified_by_default_against_the_given_bundle():
    from imageset_search.datastores.dicomweb.qido import _build

    assert _build(QidoOptions("https://archive.example/dicom-web"))._session.verify is True
    assert _build(QidoOptions("https://archive.example/dicom-web", ca_bundle="/ca.pem"))._session.verify == "/ca.pem"
    assert _build(QidoOptions("https://archive.example/dicom-web", verify_ssl=False))._session.verify is False


@pytest.mark.parametrize(
    "name, wildcard",
    [("Melissa844 Huel628", "*melissa844*"), ("doe^jane", "*jane*"), ("Jérôme", None), ("王小东", None), ("^", None)],
)
def test_a_name_goes_to_qido_only_as_letters_every_archive_matches_alike(name, wildcard):
    assert name_wildcard(name) == wildcard


def test_an_unreachable_archive_and_a_bad_uid_are_said_plainly():
    from imageset_search.datastores.errors import ServiceUnavailableException

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = QidoClient(QidoOptions(f"http://user:pw@127.0.0.1:{closed}/tenant/dicom-web"))
    with pytest.raises(ServiceUnavailableException) as down:
        client.studies({"PatientID": "SECRET-PATIENT"})
    assert f"http://127.0.0.1:{closed} did not answer" in str(down.value)
    assert "tenant" not in str(down.value) and "pw" not in str(down.value) and "SECRET" not in str(down.value)
    with pytest.raises(ValidationException, match="not a DICOM UID"):
        client.series("1.2/../../admin", {})
