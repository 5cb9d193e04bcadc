"""Authenticators: each hands the client the ``Authorization`` header for a request.

* :class:`IAMAuthenticator` — IBM Cloud API key exchanged for an IAM access token,
  kept fresh by a background task; one IAM call however many callers wait.
* :class:`CloudPakForDataAuthenticator` — Cloud Pak for Data user name with a
  password or an API key, same refresh machinery.
* :class:`BearerTokenAuthenticator` — a token you obtained yourself.
* :class:`BasicAuthenticator` — user name and password (``apikey`` + key on some
  deployments).
* :class:`NoAuthAuthenticator` — no header (local fakes, proxies that add auth).

Secrets never appear in a ``repr``, a log line or an exception.
"""

from ._base import (
    Authenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    NoAuthAuthenticator,
)
from ._iam import DEFAULT_IAM_URL, CloudPakForDataAuthenticator, IAMAuthenticator
from ._iam import iam_token_url as iam_token_url
from ._token import AccessToken, RefreshEvent, RefreshListener, TokenAuthenticator

__all__ = [
    "DEFAULT_IAM_URL",
    "AccessToken",
    "Authenticator",
    "BasicAuthenticator",
    "BearerTokenAuthenticator",
    "CloudPakForDataAuthenticator",
    "IAMAuthenticator",
    "NoAuthAuthenticator",
    "RefreshEvent",
    "RefreshListener",
    "TokenAuthenticator",
]
