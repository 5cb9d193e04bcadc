"""Conversational skill providers: ``create_provider``, ``update_provider``, ``list_providers``.

Requests send a :class:`ProviderSpecification` (public: endpoint and security scheme)
and a :class:`ProviderPrivate` (secrets); replies carry a :class:`ProviderResponse`
whose specification echoes the public part only.

Three shapes are a ``oneOf`` without a discriminator, so the variant is chosen by the
keys the object carries (see :func:`~watson_async.models._convert.register_keyed_union`):

* :data:`ProviderPrivateAuthentication`: ``flows`` (oauth2), ``token`` (bearer) or
  ``password`` (basic);
* :data:`ProviderAuthenticationOAuth2Flows` (public oauth2 settings): ``username``
  (password grant), ``authorization_url`` / ``redirect_uri`` (authorization code), any
  other known key (client credentials);
* :data:`ProviderPrivateAuthenticationOAuth2FlowFlows` (oauth2 secrets): ``password``
  (password grant), ``authorization_code`` (authorization code), any other known key
  (client credentials).

The client-credentials variants have no key of their own (their keys are shared by
all flows), so they are the match for an object showing only shared keys. An object
with none of the known keys becomes the ``...Unknown`` class of its union, with all
its keys in ``extra``. Enumerated values (``authentication_method``, ``preferred_flow``,
``client_auth_type``) are plain strings so values added by the service still parse.
"""

import attrs

from watson_async.models._convert import register_keyed_union

from ._base import Model, json_field
from .common import _Paged

__all__ = [
    "ProviderAuthenticationOAuth2",
    "ProviderAuthenticationOAuth2Flows",
    "ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2AuthorizationCode",
    "ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2ClientCredentials",
    "ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2Password",
    "ProviderAuthenticationOAuth2FlowsUnknown",
    "ProviderAuthenticationOAuth2PasswordUsername",
    "ProviderAuthenticationTypeAndValue",
    "ProviderCollection",
    "ProviderPrivate",
    "ProviderPrivateAuthentication",
    "ProviderPrivateAuthenticationBasicFlow",
    "ProviderPrivateAuthenticationBearerFlow",
    "ProviderPrivateAuthenticationOAuth2Flow",
    "ProviderPrivateAuthenticationOAuth2FlowFlows",
    "ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2AuthorizationCode",
    "ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2ClientCredentials",
    "ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2Password",
    "ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown",
    "ProviderPrivateAuthenticationOAuth2PasswordPassword",
    "ProviderPrivateAuthenticationUnknown",
    "ProviderResponse",
    "ProviderResponseSpecification",
    "ProviderResponseSpecificationComponents",
    "ProviderResponseSpecificationComponentsSecuritySchemes",
    "ProviderResponseSpecificationComponentsSecuritySchemesBasic",
    "ProviderResponseSpecificationServersItem",
    "ProviderSpecification",
    "ProviderSpecificationComponents",
    "ProviderSpecificationComponentsSecuritySchemes",
    "ProviderSpecificationComponentsSecuritySchemesBasic",
    "ProviderSpecificationServersItem",
]


# --------------------------------------------------------------------------- values


@attrs.define(kw_only=True)
class ProviderAuthenticationTypeAndValue(Model):
    """A stored credential value (basic username or password, bearer token)."""

    #: The type of property observed in ``value``; ``value`` is the only one so far.
    type: str | None = None
    value: str | None = None


@attrs.define(kw_only=True)
class ProviderAuthenticationOAuth2PasswordUsername(Model):
    """The username for oauth2 authentication when the preferred flow is ``password``."""

    #: The type of property observed in ``value``; ``value`` is the only one so far.
    type: str | None = None
    value: str | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationOAuth2PasswordPassword(Model):
    """The password for oauth2 authentication when the preferred flow is ``password``."""

    #: The type of property observed in ``value``; ``value`` is the only one so far.
    type: str | None = None
    value: str | None = None


# --------------------------------------------------------------------------- oauth2 (public)


@attrs.define(kw_only=True)
class ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2Password(Model):
    """Public settings of the resource owner password flow (has ``username``)."""

    token_url: str | None = None
    refresh_url: str | None = None
    #: ``Body`` or ``BasicAuthHeader``.
    client_auth_type: str | None = None
    content_type: str | None = None
    header_prefix: str | None = None
    username: ProviderAuthenticationOAuth2PasswordUsername | None = None


@attrs.define(kw_only=True)
class ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2ClientCredentials(Model):
    """Public settings of the client credentials flow (only the keys all flows share)."""

    token_url: str | None = None
    refresh_url: str | None = None
    #: ``Body`` or ``BasicAuthHeader``.
    client_auth_type: str | None = None
    content_type: str | None = None
    header_prefix: str | None = None


@attrs.define(kw_only=True)
class ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2AuthorizationCode(Model):
    """Public settings of the authorization code flow (has ``authorization_url``)."""

    token_url: str | None = None
    refresh_url: str | None = None
    #: ``Body`` or ``BasicAuthHeader``.
    client_auth_type: str | None = None
    content_type: str | None = None
    header_prefix: str | None = None
    authorization_url: str | None = None
    redirect_uri: str | None = None


@attrs.define(kw_only=True)
class ProviderAuthenticationOAuth2FlowsUnknown(Model):
    """Public oauth2 flow settings of a shape this version does not model (all in ``extra``)."""


_Password = ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2Password
_AuthorizationCode = ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2AuthorizationCode
_ClientCredentials = ProviderAuthenticationOAuth2FlowsProviderAuthenticationOAuth2ClientCredentials

ProviderAuthenticationOAuth2Flows = (
    _Password | _AuthorizationCode | _ClientCredentials | ProviderAuthenticationOAuth2FlowsUnknown
)
"""Public settings of the oauth2 flow (``securitySchemes.oauth2.flows``), chosen by keys."""

register_keyed_union(
    ProviderAuthenticationOAuth2Flows,
    {
        "username": _Password,
        "authorization_url": _AuthorizationCode,
        "redirect_uri": _AuthorizationCode,
        **dict.fromkeys(
            ("token_url", "refresh_url", "client_auth_type", "content_type", "header_prefix"),
            _ClientCredentials,
        ),
    },
    ProviderAuthenticationOAuth2FlowsUnknown,
)


@attrs.define(kw_only=True)
class ProviderAuthenticationOAuth2(Model):
    """Public settings for oauth2 authentication."""

    #: ``password``, ``client_credentials``, ``authorization_code`` or a custom flow name.
    preferred_flow: str | None = None
    flows: ProviderAuthenticationOAuth2Flows | None = None


# --------------------------------------------------------------------------- specification


@attrs.define(kw_only=True)
class ProviderSpecificationServersItem(Model):
    """An endpoint of the provider."""

    url: str | None = None


@attrs.define(kw_only=True)
class ProviderSpecificationComponentsSecuritySchemesBasic(Model):
    """Public settings for basic access authentication."""

    username: ProviderAuthenticationTypeAndValue | None = None


@attrs.define(kw_only=True)
class ProviderSpecificationComponentsSecuritySchemes(Model):
    """How watsonx Assistant authenticates to the provider (public part)."""

    #: ``basic``, ``bearer``, ``api_key``, ``oauth2`` or ``none``.
    authentication_method: str | None = None
    basic: ProviderSpecificationComponentsSecuritySchemesBasic | None = None
    oauth2: ProviderAuthenticationOAuth2 | None = None


@attrs.define(kw_only=True)
class ProviderSpecificationComponents(Model):
    """Reusable definitions of the provider."""

    #: JSON key ``securitySchemes``.
    security_schemes: ProviderSpecificationComponentsSecuritySchemes | None = json_field(
        "securitySchemes"
    )


@attrs.define(kw_only=True)
class ProviderSpecification(Model):
    """The specification of a provider, as sent to ``create_provider`` / ``update_provider``.

    The API requires ``servers`` (one item; more are reserved for future use).
    """

    servers: list[ProviderSpecificationServersItem] | None = None
    components: ProviderSpecificationComponents | None = None


@attrs.define(kw_only=True)
class ProviderResponseSpecificationServersItem(Model):
    """An endpoint of the provider (reply)."""

    url: str | None = None


@attrs.define(kw_only=True)
class ProviderResponseSpecificationComponentsSecuritySchemesBasic(Model):
    """Public settings for basic access authentication (reply)."""

    username: ProviderAuthenticationTypeAndValue | None = None


@attrs.define(kw_only=True)
class ProviderResponseSpecificationComponentsSecuritySchemes(Model):
    """How watsonx Assistant authenticates to the provider (reply)."""

    #: ``basic``, ``bearer``, ``api_key``, ``oauth2`` or ``none``.
    authentication_method: str | None = None
    basic: ProviderResponseSpecificationComponentsSecuritySchemesBasic | None = None
    oauth2: ProviderAuthenticationOAuth2 | None = None


@attrs.define(kw_only=True)
class ProviderResponseSpecificationComponents(Model):
    """Reusable definitions of the provider (reply)."""

    #: JSON key ``securitySchemes``.
    security_schemes: ProviderResponseSpecificationComponentsSecuritySchemes | None = json_field(
        "securitySchemes"
    )


@attrs.define(kw_only=True)
class ProviderResponseSpecification(Model):
    """The specification of a provider as the service returns it."""

    servers: list[ProviderResponseSpecificationServersItem] | None = None
    components: ProviderResponseSpecificationComponents | None = None


# --------------------------------------------------------------------------- oauth2 (private)


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2Password(
    Model
):
    """Secrets of the resource owner password flow (has ``password``)."""

    client_id: str | None = None
    client_secret: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    password: ProviderPrivateAuthenticationOAuth2PasswordPassword | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2ClientCredentials(  # noqa: E501
    Model
):
    """Secrets of the client credentials flow (only the keys all flows share)."""

    client_id: str | None = None
    client_secret: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2AuthorizationCode(  # noqa: E501
    Model
):
    """Secrets of the authorization code flow (has ``authorization_code``)."""

    client_id: str | None = None
    client_secret: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    authorization_code: str | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown(Model):
    """oauth2 flow secrets of a shape this version does not model (all in ``extra``)."""


_PrivatePassword = (
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2Password
)
_PrivateAuthorizationCode = (
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2AuthorizationCode
)
_PrivateClientCredentials = (
    ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2ClientCredentials
)

ProviderPrivateAuthenticationOAuth2FlowFlows = (
    _PrivatePassword
    | _PrivateAuthorizationCode
    | _PrivateClientCredentials
    | ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown
)
"""Secrets of the oauth2 flow (``private.authentication.flows``), chosen by keys."""

register_keyed_union(
    ProviderPrivateAuthenticationOAuth2FlowFlows,
    {
        "password": _PrivatePassword,
        "authorization_code": _PrivateAuthorizationCode,
        **dict.fromkeys(
            ("client_id", "client_secret", "access_token", "refresh_token"),
            _PrivateClientCredentials,
        ),
    },
    ProviderPrivateAuthenticationOAuth2FlowFlowsUnknown,
)


# --------------------------------------------------------------------------- private


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationBearerFlow(Model):
    """Private data for bearer authentication (has ``token``)."""

    token: ProviderAuthenticationTypeAndValue | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationBasicFlow(Model):
    """Private data for basic authentication (has ``password``)."""

    password: ProviderAuthenticationTypeAndValue | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationOAuth2Flow(Model):
    """Private data for oauth2 authentication (has ``flows``)."""

    flows: ProviderPrivateAuthenticationOAuth2FlowFlows | None = None


@attrs.define(kw_only=True)
class ProviderPrivateAuthenticationUnknown(Model):
    """Private authentication data of a shape this version does not model (all in ``extra``)."""


ProviderPrivateAuthentication = (
    ProviderPrivateAuthenticationOAuth2Flow
    | ProviderPrivateAuthenticationBearerFlow
    | ProviderPrivateAuthenticationBasicFlow
    | ProviderPrivateAuthenticationUnknown
)
"""Private authentication data of a provider, chosen by keys (``flows``/``token``/``password``)."""

register_keyed_union(
    ProviderPrivateAuthentication,
    {
        "flows": ProviderPrivateAuthenticationOAuth2Flow,
        "token": ProviderPrivateAuthenticationBearerFlow,
        "password": ProviderPrivateAuthenticationBasicFlow,
    },
    ProviderPrivateAuthenticationUnknown,
)


@attrs.define(kw_only=True)
class ProviderPrivate(Model):
    """Private information of a provider, sent to ``create_provider`` / ``update_provider``.

    The API requires ``authentication``; the service never returns this part.
    """

    authentication: ProviderPrivateAuthentication | None = None


# --------------------------------------------------------------------------- replies


@attrs.define(kw_only=True)
class ProviderResponse(Model):
    """A conversational skill provider (reply of ``create_provider`` / ``update_provider``)."""

    provider_id: str | None = None
    specification: ProviderResponseSpecification | None = None


@attrs.define(kw_only=True)
class ProviderCollection(_Paged):
    """A page of ``list_providers``."""

    conversational_skill_providers: list[ProviderResponse] | None = None
