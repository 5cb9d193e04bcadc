"""Provider models: replies, request bodies and the three key-chosen unions."""

from typing import Any

import pytest
from _samples import assert_round_trip, load

from watson_async.models._convert import converter
from watson_async.models.common import Pagination
from watson_async.models.providers import (
    ProviderAuthenticationOAuth2,
    ProviderAuthenticationOAuth2Flows,
    ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2AuthorizationCode,
    ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2ClientCredentials,
    ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2Password,
    ProviderAuthenticationOAuth2FlowsUnknown,
    ProviderAuthenticationOAuth2PasswordUsername,
    ProviderAuthenticationTypeAndValue,
    ProviderCollection,
    ProviderPrivate,
    ProviderPrivateAuthentication,
    ProviderPrivateAuthenticationBasicFlow,
    ProviderPrivateAuthenticationBearerFlow,
    ProviderPrivateAuthenticationOAuth2Flow,
    ProviderPrivateAuthenticationOAuth2FlowFlows,
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2AuthorizationCode,
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2ClientCredentials,
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2Password,
    ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown,
    ProviderPrivateAuthenticationOAuth2PasswordPassword,
    ProviderPrivateAuthenticationUnknown,
    ProviderResponse,
    ProviderResponseSpecification,
    ProviderResponseSpecificationComponentsSecuritySchemes,
    ProviderSpecification,
    ProviderSpecificationComponents,
    ProviderSpecificationComponentsSecuritySchemes,
    ProviderSpecificationComponentsSecuritySchemesBasic,
    ProviderSpecificationServersItem,
)

# Union aliases are not ``type[T]`` for mypy; hand them to cattrs as ``Any``.
_PUBLIC_FLOWS: Any = ProviderAuthenticationOAuth2Flows
_PRIVATE_FLOWS: Any = ProviderPrivateAuthenticationOAuth2FlowFlows
_PRIVATE_AUTH: Any = ProviderPrivateAuthentication

_PublicPassword = ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2Password
_PublicCode = ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2AuthorizationCode
_PublicClient = ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2ClientCredentials
_PrivatePassword = (
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2Password
)
_PrivateCode = (
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2AuthorizationCode
)
_PrivateClient = (
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2ClientCredentials
)


# --------------------------------------------------------------------------- samples


@pytest.mark.parametrize("name", ["create_provider.json", "update_provider.json"])
def test_provider_response_sample(name: str) -> None:
    data = load(name)
    provider = ProviderResponse.from_dict(data)
    assert provider.provider_id == "providerId"
    spec = provider.specification
    assert isinstance(spec, ProviderResponseSpecification)
    assert spec.servers is not None
    assert spec.servers[0].url == "url"
    assert spec.components is not None
    schemes = spec.components.security_schemes
    assert isinstance(schemes, ProviderResponseSpecificationComponentsSecuritySchemes)
    assert schemes.authentication_method == "basic"
    assert schemes.basic is not None
    assert schemes.basic.username == ProviderAuthenticationTypeAndValue(type="value", value="value")
    assert schemes.oauth2 is not None
    assert schemes.oauth2.preferred_flow == "password"
    flows = schemes.oauth2.flows
    assert type(flows) is _PublicPassword
    assert flows.token_url == "tokenUrl"
    assert flows.client_auth_type == "Body"
    assert flows.username == ProviderAuthenticationOAuth2PasswordUsername(
        type="value", value="value"
    )
    assert provider.to_dict() == data
    assert "securitySchemes" in provider.to_dict()["specification"]["components"]


def test_list_providers_sample() -> None:
    data = load("list_providers.json")
    page = ProviderCollection.from_dict(data)
    assert page.conversational_skill_providers is not None
    assert len(page.conversational_skill_providers) == 1
    assert page.conversational_skill_providers[0].provider_id == "providerId"
    assert page.pagination == Pagination(
        refresh_url="refreshUrl",
        next_url="nextUrl",
        total=5,
        matched=7,
        refresh_cursor="refreshCursor",
        next_cursor="nextCursor",
    )
    assert page.to_dict() == data


def test_private_oauth2_password_sample() -> None:
    data = load("provider_private_oauth2_password.json")
    flows = converter.structure(data, _PRIVATE_FLOWS)
    assert type(flows) is _PrivatePassword
    assert flows.client_id == "testString"
    assert flows.refresh_token == "testString"
    assert flows.password == ProviderPrivateAuthenticationOAuth2PasswordPassword(
        type="value", value="testString"
    )
    assert flows.extra is None
    assert flows.to_dict() == data
    # and where it lives in a request
    body = {"authentication": {"flows": data}}
    private = ProviderPrivate.from_dict(body)
    assert type(private.authentication) is ProviderPrivateAuthenticationOAuth2Flow
    assert private.authentication.flows == flows
    assert private.to_dict() == body


# --------------------------------------------------------------------------- unions


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        ({"token_url": "t", "username": {"type": "value", "value": "u"}}, _PublicPassword),
        ({"token_url": "t", "authorization_url": "a", "redirect_uri": "r"}, _PublicCode),
        ({"redirect_uri": "r"}, _PublicCode),
        ({"token_url": "t", "client_auth_type": "BasicAuthHeader"}, _PublicClient),
        ({"header_prefix": "Bearer"}, _PublicClient),
        ({}, ProviderAuthenticationOAuth2FlowsUnknown),
        ({"device_code_url": "d"}, ProviderAuthenticationOAuth2FlowsUnknown),
    ],
)
def test_public_flows_chosen_by_keys(value: dict[str, Any], cls: type[Any]) -> None:
    flows = converter.structure(value, _PUBLIC_FLOWS)
    assert type(flows) is cls
    assert flows.to_dict() == value
    oauth2 = ProviderAuthenticationOAuth2.from_dict({"preferred_flow": "x", "flows": value})
    assert type(oauth2.flows) is cls


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        ({"client_id": "c", "password": {"type": "value", "value": "p"}}, _PrivatePassword),
        ({"client_id": "c", "authorization_code": "code"}, _PrivateCode),
        ({"client_id": "c", "client_secret": "s"}, _PrivateClient),
        ({"access_token": "a"}, _PrivateClient),
        ({}, ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown),
        ({"assertion": "jwt"}, ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown),
    ],
)
def test_private_flows_chosen_by_keys(value: dict[str, Any], cls: type[Any]) -> None:
    flows = converter.structure(value, _PRIVATE_FLOWS)
    assert type(flows) is cls
    assert flows.to_dict() == value


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        ({"token": {"type": "value", "value": "t"}}, ProviderPrivateAuthenticationBearerFlow),
        ({"password": {"type": "value", "value": "p"}}, ProviderPrivateAuthenticationBasicFlow),
        ({"flows": {"client_id": "c"}}, ProviderPrivateAuthenticationOAuth2Flow),
        ({"api_key": {"type": "value", "value": "k"}}, ProviderPrivateAuthenticationUnknown),
    ],
)
def test_private_authentication_chosen_by_keys(value: dict[str, Any], cls: type[Any]) -> None:
    auth = converter.structure(value, _PRIVATE_AUTH)
    assert type(auth) is cls
    assert auth.to_dict() == value
    assert ProviderPrivate.from_dict({"authentication": value}).to_dict() == {
        "authentication": value
    }


def test_unknown_variants_keep_everything() -> None:
    value = {"api_key": {"type": "value", "value": "k"}, "in": "header"}
    auth = converter.structure(value, _PRIVATE_AUTH)
    assert auth == ProviderPrivateAuthenticationUnknown(extra=value)


def test_private_oauth2_flow_with_client_credentials() -> None:
    private = ProviderPrivate.from_dict({"authentication": {"flows": {"client_id": "c"}}})
    assert type(private.authentication) is ProviderPrivateAuthenticationOAuth2Flow
    assert type(private.authentication.flows) is _PrivateClient


def test_union_rejects_non_objects() -> None:
    with pytest.raises(TypeError):
        converter.structure("basic", _PRIVATE_AUTH)


# --------------------------------------------------------------------------- requests


def test_specification_request_body() -> None:
    spec = ProviderSpecification(
        servers=[ProviderSpecificationServersItem(url="https://provider.example/api")],
        components=ProviderSpecificationComponents(
            security_schemes=ProviderSpecificationComponentsSecuritySchemes(
                authentication_method="oauth2",
                basic=ProviderSpecificationComponentsSecuritySchemesBasic(
                    username=ProviderAuthenticationTypeAndValue(type="value", value="me")
                ),
                oauth2=ProviderAuthenticationOAuth2(
                    preferred_flow="authorization_code",
                    flows=_PublicCode(
                        token_url="https://auth.example/token",
                        authorization_url="https://auth.example/authorize",
                        redirect_uri="https://app.example/cb",
                    ),
                ),
            )
        ),
    )
    expected = {
        "servers": [{"url": "https://provider.example/api"}],
        "components": {
            "securitySchemes": {
                "authentication_method": "oauth2",
                "basic": {"username": {"type": "value", "value": "me"}},
                "oauth2": {
                    "preferred_flow": "authorization_code",
                    "flows": {
                        "token_url": "https://auth.example/token",
                        "authorization_url": "https://auth.example/authorize",
                        "redirect_uri": "https://app.example/cb",
                    },
                },
            }
        },
    }
    assert spec.to_dict() == expected
    assert ProviderSpecification.from_dict(expected) == spec


@pytest.mark.parametrize(
    ("private", "expected"),
    [
        (
            ProviderPrivate(
                authentication=ProviderPrivateAuthenticationBearerFlow(
                    token=ProviderAuthenticationTypeAndValue(type="value", value="tok")
                )
            ),
            {"authentication": {"token": {"type": "value", "value": "tok"}}},
        ),
        (
            ProviderPrivate(
                authentication=ProviderPrivateAuthenticationBasicFlow(
                    password=ProviderAuthenticationTypeAndValue(type="value", value="pw")
                )
            ),
            {"authentication": {"password": {"type": "value", "value": "pw"}}},
        ),
        (
            ProviderPrivate(
                authentication=ProviderPrivateAuthenticationOAuth2Flow(
                    flows=_PrivateCode(client_id="id", client_secret="s", authorization_code="c")
                )
            ),
            {
                "authentication": {
                    "flows": {"client_id": "id", "client_secret": "s", "authorization_code": "c"}
                }
            },
        ),
    ],
)
def test_private_request_body(private: ProviderPrivate, expected: dict[str, Any]) -> None:
    assert private.to_dict() == expected
    assert ProviderPrivate.from_dict(expected) == private


# --------------------------------------------------------------------------- tolerance


def test_missing_and_null_fields_are_tolerated() -> None:
    assert ProviderResponse.from_dict({}) == ProviderResponse()
    assert ProviderCollection.from_dict({}).to_dict() == {}
    data: dict[str, Any] = {
        "provider_id": "p",
        "specification": {"components": {"securitySchemes": {"oauth2": {"flows": None}}}},
        "created": "2024-01-01T00:00:00Z",
    }
    provider = ProviderResponse.from_dict(data)
    assert provider.extra == {"created": "2024-01-01T00:00:00Z"}
    assert_round_trip(data, provider.to_dict())
    assert ProviderPrivate.from_dict({"authentication": None}).authentication is None
