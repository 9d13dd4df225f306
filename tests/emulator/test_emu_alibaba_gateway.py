"""Alibaba POP gateway checks: signature, AccessKey, STS token, timestamp, nonce, version."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest
from emu_support import (
    AK_SECRET,
    NO_PROXY,
    STS_AK_ID,
    STS_SECRET,
    STS_TOKEN,
    AlimtCall,
    hand_sign,
    make_acs_client,
    send_signed,
    signed_params,
)

from batchstat.emulator import Emulator, FakeClock
from batchstat.emulator.alibaba import compute_signature, string_to_sign

GET_RESULT = "GetTranslateImageBatchResult"
EDGE_VALUES = {
    "Space": "a b",
    "Star": "*",
    "Tilde": "~",
    "Plus": "+",
    "Slash": "/",
    "Amp": "&",
    "Equals": "=",
    "Percent": "%41",
    "Unicode": "翻译 ü é",
    "Empty": "",
    "Mixed": "a b*c~d+e/f&g=h中文",
}


def server_error(call: Any) -> ServerException:
    with pytest.raises(ServerException) as caught:
        call()
    return caught.value


def assert_gateway_body(body: dict[str, Any], code: str) -> None:
    assert body["Code"] == code
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["RequestId"] in body["Recommend"]


# --- signature ---


def test_wrong_secret_gives_signature_does_not_match_with_the_echo(
    emu: Emulator, alimt: AlimtCall
) -> None:
    client = make_acs_client(secret="not-the-secret")

    error = server_error(lambda: alimt(GET_RESULT, {"TaskId": "T"}, client=client))

    assert error.get_http_status() == 400
    assert error.get_error_code() == "SignatureDoesNotMatch"  # CommonRequest: never rewritten
    message = error.get_error_msg()
    assert "server string to sign is:" in message
    echoed = message.split("server string to sign is:", 1)[1]
    record = emu.requests[-1]
    assert echoed == hand_sign("GET", record.params, AK_SECRET)[1]
    assert echoed.startswith("GET&%2F&AccessKeyId%3DLTAI5tEmulatorKeyId%26Action%3D")
    assert "%26SignatureType%3D%26" in echoed  # the empty value takes part


def test_echoed_string_to_sign_matches_the_sdk_exactly(emu: Emulator) -> None:
    # With an RpcRequest (what the alimt product classes are) the SDK compares the echo with
    # its own string to sign and rewrites the error when they agree.
    request = RpcRequest("alimt", "2018-10-12", GET_RESULT)
    request.set_endpoint(emu.base_url.removeprefix("http://"))
    request.add_query_param("TaskId", "T 1*~")
    client = make_acs_client(secret="not-the-secret")

    error = server_error(lambda: client.do_action_with_exception(request))

    assert error.get_error_code() == "InvalidAccessKeySecret"


def test_unknown_access_key_is_404(alimt: AlimtCall) -> None:
    client = make_acs_client(access_key_id="LTAI-unknown")
    error = server_error(lambda: alimt(GET_RESULT, {"TaskId": "T"}, client=client))
    assert error.get_http_status() == 404
    assert error.get_error_code() == "InvalidAccessKeyId.NotFound"


def test_sdk_requests_with_edge_characters_verify(emu: Emulator, alimt: AlimtCall) -> None:
    alimt(GET_RESULT, {"TaskId": "T", **EDGE_VALUES})
    alimt(GET_RESULT, {"TaskId": "T", **EDGE_VALUES}, method="POST")

    get, post = emu.requests
    assert get.status == post.status == 200
    for record in (get, post):
        assert {k: record.params[k] for k in EDGE_VALUES} == EDGE_VALUES
        assert record.params["SignatureType"] == ""
        assert hand_sign(record.method, record.params, AK_SECRET)[0] == record.params["Signature"]
    assert b"Space=a+b" in post.body  # a form body spells a space as "+"
    assert "Space" not in post.query and post.query["SignatureType"] == ""


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_three_signers_agree(method: str) -> None:
    """The SDK's composer, the spec's reference verifier and the emulator give one answer."""
    query = {"Action": GET_RESULT, "Version": "2018-10-12", "RegionId": "cn-hangzhou"}
    body = dict(EDGE_VALUES)

    url, sdk_string = rpc_signature_composer.get_signed_url(
        dict(query), "AK", "secret", "JSON", method, body
    )

    sent = dict(urllib.parse.parse_qsl(url.split("?", 1)[1], keep_blank_values=True))
    params = {**sent, **body}
    reference_signature, reference_string = hand_sign(method, params, "secret")
    assert reference_string == sdk_string == string_to_sign(method, params)
    assert reference_signature == sent["Signature"] == compute_signature(sdk_string, "secret")


# --- STS ---


def sts_client(token: str) -> AcsClient:
    credential = StsTokenCredential(STS_AK_ID, STS_SECRET, token)
    return AcsClient(credential=credential, region_id="cn-hangzhou", proxy=NO_PROXY)


def test_sts_token_is_checked(emu: Emulator, alimt: AlimtCall) -> None:
    assert alimt(GET_RESULT, {"TaskId": "T"}, client=sts_client(STS_TOKEN))["Code"] == 200
    assert emu.requests[-1].query["SecurityToken"] == STS_TOKEN

    error = server_error(lambda: alimt(GET_RESULT, {"TaskId": "T"}, client=sts_client("forged")))
    assert error.get_http_status() == 400
    assert error.get_error_code() == "InvalidSecurityToken.MismatchWithAccessKey"

    # The temporary key without any token, signed correctly by hand.
    params = signed_params(
        GET_RESULT, {"TaskId": "T"}, when=emu.clock(), access_key_id=STS_AK_ID, secret=STS_SECRET
    )
    status, body = send_signed(emu.base_url, params)
    assert status == 400
    assert_gateway_body(body, "MissingSecurityToken")


# --- replay protection ---


def test_replayed_nonce_is_rejected(emu: Emulator) -> None:
    params = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock(), nonce="a" * 32)

    first_status, _ = send_signed(emu.base_url, params)
    second_status, body = send_signed(emu.base_url, params)

    assert first_status == 200
    assert second_status == 400
    assert_gateway_body(body, "SignatureNonceUsed")


def test_nonce_is_forgotten_after_fifteen_minutes(emu: Emulator, clock: FakeClock) -> None:
    first = signed_params(GET_RESULT, {"TaskId": "T"}, when=clock(), nonce="b" * 32)
    assert send_signed(emu.base_url, first)[0] == 200
    clock.advance(15 * 60 + 1)
    again = signed_params(GET_RESULT, {"TaskId": "T"}, when=clock(), nonce="b" * 32)
    assert send_signed(emu.base_url, again)[0] == 200


def test_a_bad_signature_does_not_burn_the_nonce(emu: Emulator) -> None:
    forged = signed_params(
        GET_RESULT, {"TaskId": "T"}, when=emu.clock(), nonce="c" * 32, secret="wrong"
    )
    assert send_signed(emu.base_url, forged)[1]["Code"] == "SignatureDoesNotMatch"
    genuine = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock(), nonce="c" * 32)
    assert send_signed(emu.base_url, genuine)[0] == 200


@pytest.mark.parametrize("skew", [-15 * 60 - 1, 15 * 60 + 1])
def test_skewed_timestamp_is_expired(emu: Emulator, skew: float) -> None:
    params = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock() + skew)
    status, body = send_signed(emu.base_url, params)
    assert status == 400
    assert_gateway_body(body, "InvalidTimeStamp.Expired")


def test_timestamp_within_fifteen_minutes_is_fine(emu: Emulator) -> None:
    params = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock() - 14 * 60)
    assert send_signed(emu.base_url, params)[0] == 200


@pytest.mark.parametrize("timestamp", ["2026-11-21 22:21:16", "2026-11-21T22:21:16.123Z", "x"])
def test_badly_formatted_timestamp(emu: Emulator, timestamp: str) -> None:
    params = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock())
    params["Timestamp"] = timestamp
    params["Signature"] = hand_sign("GET", params, AK_SECRET)[0]
    status, body = send_signed(emu.base_url, params)
    assert status == 400
    assert_gateway_body(body, "InvalidTimeStamp.Format")


# --- common parameters, version, action ---


@pytest.mark.parametrize(
    "name", ["AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"]
)
def test_missing_common_parameter(emu: Emulator, name: str) -> None:
    params = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock())
    del params[name]
    status, body = send_signed(emu.base_url, params)
    assert status == 400
    assert_gateway_body(body, f"Missing{name}")
    assert body["Message"] == f"{name} is mandatory for this action."


def test_missing_signature(emu: Emulator) -> None:
    params = signed_params(GET_RESULT, {"TaskId": "T"}, when=emu.clock())
    del params["Signature"]
    assert send_signed(emu.base_url, params)[1]["Code"] == "MissingSignature"


def test_wrong_signature_method(emu: Emulator) -> None:
    params = signed_params(GET_RESULT, {"SignatureMethod": "HMAC-SHA256"}, when=emu.clock())
    status, body = send_signed(emu.base_url, params)
    assert (status, body["Code"]) == (400, "InvalidSignatureMethod")


def test_wrong_version_and_unknown_action(emu: Emulator) -> None:
    params = signed_params(GET_RESULT, {"Version": "2019-01-02"}, when=emu.clock())
    status, body = send_signed(emu.base_url, params)
    assert (status, body["Code"]) == (404, "InvalidVersion")

    params = signed_params("TranslateGeneral", {}, when=emu.clock())
    status, body = send_signed(emu.base_url, params)
    assert status == 404
    assert_gateway_body(body, "InvalidApi.NotFound")
