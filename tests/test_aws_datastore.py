"""The AWS datastore against a misbehaving service: real boto3 over HTTP to the local endpoint with faults injected,
plus the client's configuration and the failures that happen before any request is sent."""

import socket
import subprocess
import sys
import threading

import pytest
from endpoint_fixtures import aws, aws_env, endpoint, image_set_ids, running_endpoint, walk  # noqa: F401

from imageset_search.datastores import errors
from imageset_search.datastores.aws.client import ClientOptions
from imageset_search.datastores.aws.datastore import AwsDatastore
from imageset_search.datastores.testbed.faults import Faults

DEMO = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"
PATIENT = "SUBJECT08701"
BY_PATIENT = {"filters": [{"values": [{"DICOMPatientId": PATIENT}], "operator": "EQUAL"}]}


def failure(call) -> errors.DatastoreError:
    with pytest.raises(errors.DatastoreError) as caught:
        call()
    assert PATIENT not in caught.value.message
    return caught.value


def test_a_walk_with_30_percent_of_requests_throttled_still_returns_every_image_set_once(demo_store, endpoint, aws_env):
    retrying = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", max_attempts=5)
    expected = image_set_ids(walk(demo_store, DEMO, None, 25))
    endpoint.faults = Faults(throttle=0.3, seed=3)
    ids = image_set_ids(walk(retrying, DEMO, None, 25))
    assert ids == expected and len(set(ids)) == len(ids)
    assert endpoint.faults.injected > 0, "the endpoint throttled nothing: the walk proved no retry"


def test_a_single_failure_is_retried_and_the_answer_is_the_real_one(demo_store, endpoint, aws):
    endpoint.faults = Faults(fail="1")
    assert aws.search_image_sets(DEMO, BY_PATIENT) == demo_store.search_image_sets(DEMO, BY_PATIENT)
    assert endpoint.faults.requests == 2


def test_a_persistent_500_is_an_internal_server_error_that_counts_the_attempts(endpoint, aws):
    endpoint.faults = Faults(fail="1-")
    error = failure(lambda: aws.search_image_sets(DEMO, BY_PATIENT))
    assert isinstance(error, errors.InternalServerException)
    assert "SearchImageSets" in error.message and "after 2 attempts" in error.message
    assert endpoint.faults.requests == 2


def test_persistent_throttling_is_retried_then_reported_with_what_to_do(endpoint, aws):
    endpoint.faults = Faults(throttle="1-")
    error = failure(lambda: aws.search_image_sets(DEMO, BY_PATIENT))
    assert isinstance(error, errors.ThrottlingException)
    assert error.message == "SearchImageSets was throttled after 2 attempts; retry later or lower the request rate"
    assert endpoint.faults.requests == 2


@pytest.mark.parametrize("kind", ["drop", "unavailable"])
def test_dropped_connections_and_503s_are_service_unavailable(endpoint, aws, kind):
    endpoint.faults = Faults(fail="1-", fail_kind=kind)
    error = failure(lambda: aws.search_image_sets(DEMO, BY_PATIENT))
    assert isinstance(error, errors.ServiceUnavailableException)
    assert "after 2 attempts" in error.message
    assert endpoint.faults.requests == 2


def test_a_read_timeout_is_service_unavailable(endpoint, aws_env):
    impatient = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", read_timeout=0.3, max_attempts=1)
    endpoint.faults = Faults(fail="1-", fail_kind="hang", hang_seconds=5)
    error = failure(lambda: impatient.search_image_sets(DEMO, BY_PATIENT))
    assert isinstance(error, errors.ServiceUnavailableException)
    assert (
        "after 1 attempt " in error.message
        and "ReadTimeoutError" in error.message
        and "--read-timeout" in error.message
    )


def test_latency_beyond_the_read_timeout_is_a_timeout_too(endpoint, aws_env):
    impatient = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", read_timeout=0.2, max_attempts=1)
    endpoint.faults = Faults(latency=2)
    assert isinstance(failure(lambda: impatient.get_datastore(DEMO)), errors.ServiceUnavailableException)


def test_nothing_listening_is_service_unavailable(aws_env):
    port = free_port()
    nowhere = AwsDatastore(endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1", max_attempts=1)
    error = failure(lambda: nowhere.list_datastores())
    assert isinstance(error, errors.ServiceUnavailableException)
    assert f"127.0.0.1:{port}" in error.message


def free_port() -> int:
    """A port nothing listens on: bound to learn its number, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "operation, call",
    [
        ("SearchImageSets", lambda d: d.search_image_sets(DEMO, BY_PATIENT)),
        ("GetImageSetMetadata", lambda d: d.get_image_set_metadata(DEMO, DOCUMENTED)),
        ("ListDatastores", lambda d: d.list_datastores()),
    ],
)
def test_access_denied_names_the_iam_action_to_grant(endpoint, aws, operation, call):
    endpoint.faults = Faults(fail="1-", fail_kind="deny")
    error = failure(lambda: call(aws))
    assert isinstance(error, errors.AccessDeniedException)
    assert f"medical-imaging:{operation}" in error.message
    if operation != "ListDatastores":
        assert DEMO in error.message
    assert endpoint.faults.requests == 1, "access denied is not worth a retry"


def test_expired_credentials_say_how_to_refresh_them(endpoint, aws):
    endpoint.faults = Faults(fail="1-", fail_kind="expired")
    error = failure(lambda: aws.search_image_sets(DEMO))
    assert isinstance(error, errors.CredentialsError)
    assert "ExpiredTokenException" in error.message and "aws sso login" in error.message


def test_missing_credentials_say_how_to_get_them(endpoint, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    # A configuration no other test uses, so the client (and its credential lookup) is new.
    anonymous = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", connect_timeout=7)
    error = failure(lambda: anonymous.search_image_sets(DEMO))
    assert isinstance(error, errors.CredentialsError)
    assert "AWS_ACCESS_KEY_ID" in error.message and "AWS_PROFILE" in error.message
    assert endpoint.faults.requests == 0, "nothing unsigned should have been sent"


def test_credentials_that_appear_later_are_used_without_a_restart(endpoint, aws_env, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "credentials"
    credentials.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    late = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", connect_timeout=8)
    assert isinstance(failure(lambda: late.get_datastore(DEMO)), errors.CredentialsError)
    credentials.write_text("[default]\naws_access_key_id = AKIDLATER\naws_secret_access_key = later-secret\n")
    assert late.get_datastore(DEMO)["datastoreProperties"]["datastoreId"] == DEMO


def test_an_unknown_profile_is_a_credentials_error(aws_env):
    error = failure(lambda: AwsDatastore(profile="no-such-profile", region="us-east-1").list_datastores())
    assert isinstance(error, errors.CredentialsError)


def test_no_region_anywhere_is_a_clear_configuration_error(aws_env, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    error = failure(lambda: AwsDatastore(read_timeout=9).list_datastores())
    assert isinstance(error, errors.ValidationException) and "AWS_REGION" in error.message


def test_botocores_own_report_is_used_without_the_values_when_the_service_rules_pass(aws_env):
    from botocore.exceptions import ParamValidationError

    from imageset_search.datastores.aws.errors import Call, from_botocore_error

    client = AwsDatastore(endpoint_url="http://127.0.0.1:9", region="us-east-1").client
    with pytest.raises(ParamValidationError) as caught:
        client.list_datastores(maxResults="SECRET-VALUE-123")
    error = from_botocore_error(caught.value, Call("ListDatastores", None, "http://127.0.0.1:9"))
    assert isinstance(error, errors.ValidationException)
    assert "maxResults" in error.message and "SECRET-VALUE-123" not in error.message


def test_a_custom_endpoint_turns_host_prefix_injection_off_and_counts_every_attempt(aws_env):
    local = AwsDatastore(
        endpoint_url="http://127.0.0.1:9", region="eu-west-1", connect_timeout=2, read_timeout=4, max_attempts=5
    )
    config = local.client.meta.config
    assert config.inject_host_prefix is False
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert (config.connect_timeout, config.read_timeout) == (2, 4)
    assert local.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert local.client.meta.region_name == "eu-west-1"
    real = AwsDatastore(region="eu-west-1", retry_mode="adaptive")
    assert real.client.meta.config.inject_host_prefix is True
    assert real.client.meta.config.retries["mode"] == "adaptive"
    assert real.client.meta.endpoint_url == "https://medical-imaging.eu-west-1.amazonaws.com"


def test_an_endpoint_from_the_aws_environment_also_turns_host_prefix_injection_off(endpoint, aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", endpoint.url)
    configured = AwsDatastore(region="us-east-1", read_timeout=11)
    assert configured.client.meta.endpoint_url == endpoint.url
    assert configured.search_image_sets(DEMO, BY_PATIENT)["imageSetsMetadataSummaries"][0]["imageSetId"] == DOCUMENTED


def test_tls_options_become_botocores_verify_setting():
    assert ClientOptions().verify() is None
    assert ClientOptions(ca_bundle="corp-ca.pem").verify() == "corp-ca.pem"
    assert ClientOptions(ca_bundle="corp-ca.pem", verify_ssl=False).verify() is False


def test_one_client_per_process_and_configuration_even_when_threads_race(aws_env):
    stores = [AwsDatastore(endpoint_url="http://127.0.0.1:9", region="ap-south-1") for _ in range(8)]
    clients = []
    threads = [threading.Thread(target=lambda s=s: clients.append(s.client)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in clients}) == 1
    other = AwsDatastore(endpoint_url="http://127.0.0.1:9", region="ap-south-1", max_attempts=4).client
    assert other is not clients[0]


def test_importing_and_constructing_loads_no_boto3():
    code = (
        "import sys\n"
        "from imageset_search.datastores.aws.datastore import AwsDatastore\n"
        "AwsDatastore(region='us-east-1', endpoint_url='http://127.0.0.1:9')\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("options", [dict(retry_mode="fast"), dict(max_attempts=0), dict(max_attempts="3")])
def test_bad_retry_settings_are_refused_up_front(options):
    with pytest.raises(errors.ValidationException):
        AwsDatastore(**options)
