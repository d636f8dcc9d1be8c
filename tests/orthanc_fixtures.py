"""A real Orthanc with its DICOMweb plugin (Debian's `orthanc` and `orthanc-dicomweb`), for the dicomweb backend's
tests: started once per session on free loopback ports with its own storage folder, loaded with the demo's DICOM
files through its REST API, stopped at the end. Where the packages are not installed the tests skip, saying which
(`.ci/run` installs them). Import the fixtures you use: `from orthanc_fixtures import ...`.
"""

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

ORTHANC = "/usr/sbin/Orthanc"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
TODAY = date(2026, 6, 1)  # the demo is built relative to "today": pinned, so both copies are the same data
IMAGE_SETS = 200
USER, PASSWORD_ENV, PASSWORD = "tester", "IMAGESET_SEARCH_TEST_ORTHANC_PASSWORD", "orthanc-test-password"
PORTS = range(18600, 18700)
START_SECONDS = 60


@dataclass(frozen=True)
class Orthanc:
    url: str  # REST root
    files: list[Path]

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def rest(self, method: str, path: str, **kwargs):
        import requests

        answer = requests.request(method, self.url + path, auth=(USER, PASSWORD), timeout=30, **kwargs)
        answer.raise_for_status()
        return answer

    def upload(self, files) -> None:
        for path in files:
            self.rest("POST", "/instances", data=Path(path).read_bytes())


def missing_packages() -> list[str]:
    return [name for name, path in (("orthanc", ORTHANC), ("orthanc-dicomweb", PLUGIN)) if not os.path.exists(path)]


def free_ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"no {count} free ports in {PORTS.start}-{PORTS.stop - 1} for Orthanc")


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> list[Path]:
    """The demo's DICOM files (200 image sets, seed 0, today pinned), in upload order."""
    from imageset_search.datastores.local.demo import demo_uploads, write_upload

    folder = tmp_path_factory.mktemp("demo-files")
    uploads = sorted(demo_uploads(IMAGE_SETS, 0, TODAY), key=lambda upload: upload.at)
    return [path for index, upload in enumerate(uploads) for path in write_upload(folder, index, upload)]


@pytest.fixture(scope="session")
def pinned_store(tmp_path_factory):
    """The local datastore built from the same demo (the same generator, seed and day as `demo_files`)."""
    from imageset_search.datastores.local.demo import build_demo
    from imageset_search.datastores.local.store import LocalStore

    with LocalStore(tmp_path_factory.mktemp("pinned") / "demo.sqlite3") as store:
        build_demo(store, image_sets=IMAGE_SETS, seed=0, today=TODAY)
        yield store


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory, demo_files):
    missing = missing_packages()
    if missing:
        pytest.skip(f"Orthanc is not installed (Debian packages {' '.join(missing)}; .ci/run installs them)")
    with running_orthanc(tmp_path_factory.mktemp("orthanc"), demo_files) as server:
        yield server


@contextmanager
def running_orthanc(folder: Path, files: list[Path]) -> Iterator[Orthanc]:
    """Orthanc on two free loopback ports with its storage in `folder`, holding `files`; stopped on exit (also
    used by bench/dicomweb_orthanc.py)."""
    http_port, dicom_port = free_ports(2)
    config = {
        "Name": "imageset-search-tests",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "storage"),
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": [PLUGIN],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }
    (folder / "orthanc.json").write_text(json.dumps(config))
    with open(folder / "orthanc.log", "w") as log:
        process = subprocess.Popen([ORTHANC, str(folder / "orthanc.json")], stdout=log, stderr=log, cwd=folder)
    try:
        server = Orthanc(f"http://127.0.0.1:{http_port}", files)
        _wait_until_up(server, process, folder / "orthanc.log")
        server.upload(files)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(folder / "storage", ignore_errors=True)


def _wait_until_up(server: Orthanc, process, log: Path) -> None:
    import requests

    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            server.rest("GET", "/system")
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"Orthanc did not answer within {START_SECONDS} s: {log.read_text()[-2000:]}")


@pytest.fixture
def archive(orthanc, monkeypatch):
    """The dicomweb datastore on the session's Orthanc, basic auth with the password in its variable."""
    from imageset_search.datastores.dicomweb.auth import Auth
    from imageset_search.datastores.dicomweb.datastore import DicomwebDatastore
    from imageset_search.datastores.dicomweb.qido import QidoOptions

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return DicomwebDatastore(QidoOptions(orthanc.dicomweb_url, Auth("basic", username=USER, password_env=PASSWORD_ENV)))
