"""External configuration: credentials file, environment, VCAP_SERVICES → authenticator.

Every test injects ``environ``, ``cwd`` and ``home``; the real ones are never read.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import pytest

import watson_async.auth
from watson_async.auth import (
    BasicAuthenticator,
    BearerTokenAuthenticator,
    IAMAuthenticator,
    NoAuthAuthenticator,
)
from watson_async.auth.config import ServiceConfig, authenticator_from_config, read_external_config

APIKEY = "s3cret-apikey-XYZ"
PASSWORD = "s3cret-password-XYZ"
TOKEN = "s3cret-bearer-XYZ"
CLIENT_SECRET = "s3cret-client-XYZ"
SECRETS = (APIKEY, PASSWORD, TOKEN, CLIENT_SECRET)


class Env:
    """An isolated world: an environ dict plus empty cwd and home directories."""

    def __init__(self, tmp_path: Path) -> None:
        self.environ: dict[str, str] = {}
        self.cwd = tmp_path / "cwd"
        self.home = tmp_path / "home"
        self.cwd.mkdir()
        self.home.mkdir()

    def read(self, service_name: str = "assistant") -> ServiceConfig:
        return read_external_config(
            service_name, environ=self.environ, cwd=self.cwd, home=self.home
        )

    def auth(self, service_name: str = "assistant") -> watson_async.auth.Authenticator:
        return authenticator_from_config(self.read(service_name))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def config(**values: str) -> ServiceConfig:
    return ServiceConfig("test", values)


# --- sources and precedence -----------------------------------------------------------


def test_environment(env: Env) -> None:
    env.environ.update(
        ASSISTANT_APIKEY=APIKEY, ASSISTANT_URL="https://svc.example/instances/1", OTHER_URL="x"
    )
    cfg = env.read()
    assert cfg.source == "environment"
    assert dict(cfg.values) == {"APIKEY": APIKEY, "URL": "https://svc.example/instances/1"}
    assert cfg.url == "https://svc.example/instances/1"
    assert cfg.auth_type == "iam"
    assert cfg.disable_ssl is False
    assert cfg.auth_disable_ssl is False


def test_credentials_file_in_cwd_shadows_environment(env: Env) -> None:
    path = write(env.cwd / "ibm-credentials.env", "ASSISTANT_APIKEY=from-file")
    env.environ.update(ASSISTANT_APIKEY="from-env", ASSISTANT_URL="https://env.example")
    cfg = env.read()
    assert cfg.source == f"credentials file {path}"
    # No merging: the environment's URL is not taken.
    assert dict(cfg.values) == {"APIKEY": "from-file"}
    assert cfg.url is None


def test_credentials_file_precedence(env: Env, tmp_path: Path) -> None:
    write(env.home / "ibm-credentials.env", "ASSISTANT_URL=https://home.example")
    assert env.read().url == "https://home.example"
    write(env.cwd / "ibm-credentials.env", "ASSISTANT_URL=https://cwd.example")
    assert env.read().url == "https://cwd.example"
    explicit = write(tmp_path / "explicit.env", "ASSISTANT_URL=https://explicit.example")
    env.environ["IBM_CREDENTIALS_FILE"] = str(explicit)
    cfg = env.read()
    assert cfg.url == "https://explicit.example"
    assert cfg.source == f"credentials file {explicit}"


def test_relative_ibm_credentials_file_is_relative_to_cwd(env: Env) -> None:
    write(env.cwd / "creds.env", "ASSISTANT_URL=https://rel.example")
    env.environ["IBM_CREDENTIALS_FILE"] = "creds.env"
    assert env.read().url == "https://rel.example"


def test_missing_ibm_credentials_file_is_an_error(env: Env, tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    env.environ.update(IBM_CREDENTIALS_FILE=str(missing), ASSISTANT_APIKEY=APIKEY)
    with pytest.raises(ValueError, match="IBM_CREDENTIALS_FILE") as info:
        env.read()
    assert str(missing) in str(info.value)


def test_file_without_service_keys_falls_through_to_environment(env: Env) -> None:
    write(env.cwd / "ibm-credentials.env", "DISCOVERY_APIKEY=other", "# ASSISTANT_APIKEY=x")
    env.environ["ASSISTANT_APIKEY"] = APIKEY
    assert env.read().source == "environment"


def test_explicit_file_without_service_keys_does_not_fall_back_to_cwd_file(
    env: Env, tmp_path: Path
) -> None:
    # Like the SDK: IBM_CREDENTIALS_FILE replaces the other file locations.
    write(env.cwd / "ibm-credentials.env", "ASSISTANT_URL=https://cwd.example")
    env.environ["IBM_CREDENTIALS_FILE"] = str(write(tmp_path / "x.env", "OTHER_URL=x"))
    env.environ["ASSISTANT_URL"] = "https://env.example"
    assert env.read().url == "https://env.example"


def test_credentials_file_format(env: Env) -> None:
    write(
        env.cwd / "ibm-credentials.env",
        "# a comment",
        "",
        "   ",
        "not a key value line",
        "ASSISTANT_NOVALUE",
        "  ASSISTANT_APIKEY = " + APIKEY + "  ",
        "ASSISTANT_URL=https://svc.example/path?a=b=c",
        "ASSISTANT_AUTH_TYPE=iam",
        "ASSISTANT_AUTH_TYPE=IAM",
        "export ASSISTANT_SCOPE=ignored",
        "ASSISTANTX_URL=not-ours",
        'ASSISTANT_QUOTED="kept"',
        "ASSISTANT_EMPTY=",
    )
    cfg = env.read()
    assert dict(cfg.values) == {
        "APIKEY": APIKEY,
        "URL": "https://svc.example/path?a=b=c",
        "AUTH_TYPE": "IAM",  # the last one wins
        "QUOTED": '"kept"',  # quotes are not stripped (the SDK doesn't either)
        "EMPTY": "",
    }
    assert cfg.get("EMPTY") is None
    assert isinstance(authenticator_from_config(cfg), IAMAuthenticator)


def test_environment_shadows_vcap(env: Env) -> None:
    env.environ["VCAP_SERVICES"] = json.dumps(
        {"conversation": [{"name": "assistant", "credentials": {"apikey": "vcap"}}]}
    )
    env.environ["ASSISTANT_URL"] = "https://env.example"
    cfg = env.read()
    assert cfg.source == "environment"
    assert dict(cfg.values) == {"URL": "https://env.example"}  # no merging with VCAP


def test_nothing_configured(env: Env) -> None:
    env.environ["OTHER_APIKEY"] = APIKEY
    with pytest.raises(ValueError, match="no configuration found") as info:
        env.read()
    assert "ASSISTANT_" in str(info.value)
    assert_no_secret(str(info.value))


def test_service_name_with_dash(env: Env) -> None:
    env.environ.update(MY_ASSISTANT_APIKEY=APIKEY, ASSISTANT_APIKEY="not-this-one")
    cfg = env.read("my-assistant")
    assert cfg.prefix == "MY_ASSISTANT_"
    assert cfg.values["APIKEY"] == APIKEY
    env.environ.pop("MY_ASSISTANT_APIKEY")
    env.environ["MY_ASSISTANT_AUTH_TYPE"] = "basic"
    with pytest.raises(ValueError, match="MY_ASSISTANT_USERNAME is required"):
        env.auth("my-assistant")


def test_prefix_needs_the_underscore(env: Env) -> None:
    env.environ["ASSISTANTAPIKEY"] = APIKEY
    with pytest.raises(ValueError, match="no configuration found"):
        env.read()


# --- VCAP_SERVICES ---------------------------------------------------------------------


def test_vcap_by_name_across_service_lists(env: Env) -> None:
    env.environ["VCAP_SERVICES"] = json.dumps(
        {
            "assistant": [{"name": "other", "credentials": {"apikey": "by-key"}}],
            "conversation": [
                {"name": "x", "credentials": {"apikey": "x"}},
                {
                    "name": "assistant",
                    "credentials": {"apikey": APIKEY, "url": "https://vcap.example"},
                },
            ],
        }
    )
    cfg = env.read()
    assert cfg.source == "VCAP_SERVICES"
    assert dict(cfg.values) == {"AUTH_TYPE": "iam", "APIKEY": APIKEY, "URL": "https://vcap.example"}
    assert isinstance(authenticator_from_config(cfg), IAMAuthenticator)


def test_vcap_by_service_key(env: Env) -> None:
    env.environ["VCAP_SERVICES"] = json.dumps(
        {
            "my-assistant": [
                {"name": "instance-1", "credentials": {"iam_apikey": APIKEY}},
                {"name": "instance-2", "credentials": {"apikey": "second"}},
            ]
        }
    )
    cfg = env.read("my-assistant")
    assert dict(cfg.values) == {"AUTH_TYPE": "iam", "APIKEY": APIKEY}


def test_vcap_username_password_is_basic(env: Env) -> None:
    env.environ["VCAP_SERVICES"] = json.dumps(
        {
            "assistant": [
                {
                    "name": "a",
                    "credentials": {"username": "u", "password": PASSWORD, "apikey": "ignored"},
                }
            ]
        }
    )
    cfg = env.read()
    assert cfg.auth_type == "basic"
    assert dict(cfg.values) == {"AUTH_TYPE": "basic", "USERNAME": "u", "PASSWORD": PASSWORD}
    assert isinstance(authenticator_from_config(cfg), BasicAuthenticator)


def test_vcap_without_the_service(env: Env) -> None:
    env.environ["VCAP_SERVICES"] = json.dumps({"other": [{"name": "x", "credentials": {}}]})
    with pytest.raises(ValueError, match="no configuration found"):
        env.read()


@pytest.mark.parametrize("raw", ['{"assistant": [{"credentials": {"apikey": "' + APIKEY, "[1]"])
def test_malformed_vcap(env: Env, raw: str) -> None:
    env.environ["VCAP_SERVICES"] = raw
    with pytest.raises(ValueError, match="VCAP_SERVICES") as info:
        env.read()
    # Neither the message nor a chained JSONDecodeError carries the content.
    assert_no_secret("".join(traceback.format_exception(info.value)))


# --- auth types -----------------------------------------------------------------------


def test_iam(env: Env) -> None:
    env.environ.update(
        ASSISTANT_APIKEY=APIKEY,
        ASSISTANT_AUTH_URL="https://iam.test.example",
        ASSISTANT_CLIENT_ID="bx",
        ASSISTANT_CLIENT_SECRET=CLIENT_SECRET,
        ASSISTANT_SCOPE="a b",
        ASSISTANT_AUTH_DISABLE_SSL="TRUE",
    )
    authenticator = env.auth()
    assert isinstance(authenticator, IAMAuthenticator)
    assert authenticator.url == "https://iam.test.example/identity/token"
    assert authenticator._verify_ssl is False
    assert_no_secret(repr(authenticator))


def test_iam_default_url(env: Env) -> None:
    env.environ["ASSISTANT_APIKEY"] = APIKEY
    authenticator = env.auth()
    assert isinstance(authenticator, IAMAuthenticator)
    assert authenticator.url == "https://iam.cloud.ibm.com/identity/token"


@pytest.mark.parametrize("spelling", ["bearerToken", "BEARERTOKEN", "bearertoken", " bearerToken "])
def test_bearer_token(env: Env, spelling: str) -> None:
    env.environ.update(ASSISTANT_AUTH_TYPE=spelling, ASSISTANT_BEARER_TOKEN=TOKEN)
    assert env.read().auth_type == "bearerToken"
    assert isinstance(env.auth(), BearerTokenAuthenticator)


def test_basic(env: Env) -> None:
    env.environ.update(
        ASSISTANT_AUTH_TYPE="Basic", ASSISTANT_USERNAME="u", ASSISTANT_PASSWORD=PASSWORD
    )
    assert isinstance(env.auth(), BasicAuthenticator)


def test_no_auth(env: Env) -> None:
    env.environ["ASSISTANT_AUTH_TYPE"] = "noauth"
    assert isinstance(env.auth(), NoAuthAuthenticator)


def test_legacy_authtype_key(env: Env) -> None:
    env.environ["ASSISTANT_AUTHTYPE"] = "noAuth"
    assert env.read().auth_type == "noAuth"


def test_cp4d(env: Env) -> None:
    cls = getattr(watson_async.auth, "CloudPakForDataAuthenticator", None)
    if cls is None:
        pytest.skip("CloudPakForDataAuthenticator not in watson_async.auth yet")
    env.environ.update(
        ASSISTANT_AUTH_TYPE="CP4D",
        ASSISTANT_AUTH_URL="https://cpd.example/icp4d-api",
        ASSISTANT_USERNAME="admin",
        ASSISTANT_APIKEY=APIKEY,
    )
    authenticator = env.auth()
    assert isinstance(authenticator, cls)
    assert_no_secret(repr(authenticator))
    env.environ.pop("ASSISTANT_APIKEY")
    env.environ["ASSISTANT_PASSWORD"] = PASSWORD
    assert isinstance(env.auth(), cls)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "ASSISTANT_AUTH_URL is required for auth type cp4d"),
        ({"AUTH_URL": "https://cpd.example"}, "ASSISTANT_USERNAME is required for auth type cp4d"),
        (
            {"AUTH_URL": "https://cpd.example", "USERNAME": "u"},
            "exactly one of ASSISTANT_PASSWORD or ASSISTANT_APIKEY",
        ),
        (
            {
                "AUTH_URL": "https://cpd.example",
                "USERNAME": "u",
                "PASSWORD": PASSWORD,
                "APIKEY": APIKEY,
            },
            "exactly one of ASSISTANT_PASSWORD or ASSISTANT_APIKEY",
        ),
    ],
)
def test_cp4d_checks_keys_before_building(values: dict[str, str], message: str) -> None:
    # These checks run without the authenticator class.
    with pytest.raises(ValueError, match=message) as info:
        authenticator_from_config(config(AUTH_TYPE="cp4d", **values))
    assert_no_secret(str(info.value))


# --- missing and invalid values -----------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({}, "ASSISTANT_APIKEY"),
        ({"URL": "https://svc.example"}, "ASSISTANT_APIKEY"),
        ({"AUTH_TYPE": "iam", "APIKEY": "  "}, "ASSISTANT_APIKEY"),
        ({"AUTH_TYPE": "bearerToken"}, "ASSISTANT_BEARER_TOKEN"),
        ({"AUTH_TYPE": "basic", "PASSWORD": PASSWORD}, "ASSISTANT_USERNAME"),
        ({"AUTH_TYPE": "basic", "USERNAME": "u"}, "ASSISTANT_PASSWORD"),
    ],
)
def test_missing_key_is_named(values: dict[str, str], key: str) -> None:
    with pytest.raises(ValueError, match=f"^{key} is required for auth type") as info:
        authenticator_from_config(ServiceConfig("environment", values))
    assert "(from environment)" in str(info.value)
    assert_no_secret(str(info.value))


def test_missing_apikey_without_auth_type_hints_at_auth_type(env: Env) -> None:
    env.environ.update(ASSISTANT_USERNAME="u", ASSISTANT_PASSWORD=PASSWORD)
    with pytest.raises(ValueError, match="ASSISTANT_APIKEY is required") as info:
        env.auth()
    assert "ASSISTANT_AUTH_TYPE" in str(info.value)
    assert_no_secret(str(info.value))


@pytest.mark.parametrize("present", ["CLIENT_ID", "CLIENT_SECRET"])
def test_client_id_and_secret_go_together(present: str) -> None:
    value = CLIENT_SECRET if present == "CLIENT_SECRET" else "bx"
    with pytest.raises(ValueError, match="ASSISTANT_CLIENT_ID and ASSISTANT_CLIENT_SECRET") as info:
        authenticator_from_config(config(APIKEY=APIKEY, **{present: value}))
    assert_no_secret(str(info.value))


@pytest.mark.parametrize("kind", ["container", "VPC", "mcsp", "mcspv2", "iamAssume"])
def test_sdk_auth_types_we_do_not_support(env: Env, kind: str) -> None:
    env.environ["ASSISTANT_AUTH_TYPE"] = kind
    with pytest.raises(ValueError, match="not supported by watson_async") as info:
        env.read()
    assert "ASSISTANT_AUTH_TYPE" in str(info.value)


def test_unknown_auth_type_lists_valid_ones(env: Env) -> None:
    env.environ["ASSISTANT_AUTH_TYPE"] = "kerberos"
    with pytest.raises(ValueError, match="unknown auth type 'kerberos'") as info:
        env.read()
    for name in ("iam", "bearerToken", "basic", "cp4d", "noAuth"):
        assert name in str(info.value)


def test_unknown_auth_type_that_looks_like_a_secret_is_not_echoed() -> None:
    with pytest.raises(ValueError, match="unknown auth type <value hidden>") as info:
        config(AUTH_TYPE=APIKEY + "+/=")
    assert_no_secret(str(info.value))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("false", False),
        ("False", False),
        ("", False),
    ],
)
def test_booleans(env: Env, raw: str, expected: bool) -> None:
    env.environ.update(
        ASSISTANT_AUTH_TYPE="noAuth",
        ASSISTANT_DISABLE_SSL=raw,
        ASSISTANT_AUTH_DISABLE_SSL=raw,
        ASSISTANT_ENABLE_GZIP=raw,
    )
    cfg = env.read()
    assert cfg.disable_ssl is expected
    assert cfg.auth_disable_ssl is expected
    assert cfg.enable_gzip is expected


@pytest.mark.parametrize("key", ["DISABLE_SSL", "AUTH_DISABLE_SSL", "ENABLE_GZIP"])
@pytest.mark.parametrize("raw", ["yes", "1", "on", "truthy"])
def test_invalid_boolean_names_the_key(env: Env, key: str, raw: str) -> None:
    env.environ.update({"ASSISTANT_APIKEY": APIKEY, f"ASSISTANT_{key}": raw})
    with pytest.raises(ValueError, match=f"^ASSISTANT_{key} \\(from environment\\) must be"):
        env.read()


def test_authenticator_complaints_are_wrapped_without_secrets() -> None:
    with pytest.raises(ValueError, match=r"invalid iam configuration .*quote") as info:
        authenticator_from_config(config(APIKEY=f'"{APIKEY}"'))
    assert_no_secret(str(info.value))
    with pytest.raises(ValueError, match=r"invalid iam configuration .*IAM url"):
        authenticator_from_config(config(APIKEY=APIKEY, AUTH_URL="iam.example"))


# --- secrets ----------------------------------------------------------------------------


def test_repr_hides_secrets(env: Env) -> None:
    env.environ.update(
        ASSISTANT_APIKEY=APIKEY,
        ASSISTANT_PASSWORD=PASSWORD,
        ASSISTANT_BEARER_TOKEN=TOKEN,
        ASSISTANT_CLIENT_SECRET=CLIENT_SECRET,
        ASSISTANT_URL="https://svc.example",
        ASSISTANT_USERNAME="visible-user",
    )
    cfg = env.read()
    text = repr(cfg)
    assert_no_secret(text)
    assert_no_secret(str(cfg))
    assert "https://svc.example" in text
    assert "visible-user" in text
    assert text.count("<hidden>") == 4
    # The values themselves are still there for the code that needs them.
    assert cfg.values["APIKEY"] == APIKEY


def test_service_config_is_immutable() -> None:
    source = {"APIKEY": APIKEY}
    cfg = ServiceConfig("test", source)
    source["APIKEY"] = "changed"
    assert cfg.values["APIKEY"] == APIKEY
    with pytest.raises(TypeError):
        cfg.values["URL"] = "x"  # type: ignore[index]
    assert cfg == ServiceConfig("test", {"APIKEY": APIKEY})
    assert hash(cfg) == hash(ServiceConfig("test", {"APIKEY": "other"}))


def test_url_is_stripped_and_blank_is_none() -> None:
    assert config(URL="  https://svc.example ", AUTH_TYPE="noAuth").url == "https://svc.example"
    assert config(URL=" ", AUTH_TYPE="noAuth").url is None


def test_defaults_read_the_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # With nothing injected, os.environ / cwd / home are used; point them at tmp_path.
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(write(tmp_path / "c.env", "ZZ_TEST_URL=u")))
    assert read_external_config("zz-test").url == "u"


def test_assistant_client_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from watson_async import AssistantClient, IAMAuthenticator

    monkeypatch.chdir(tmp_path)  # no ./ or ~/ credentials file can interfere
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = {
        "ASSISTANT_APIKEY": "env-Key-777",
        "ASSISTANT_URL": "https://api.eu-de.assistant.watson.cloud.ibm.com/instances/x/",
        "ASSISTANT_AUTH_URL": "https://iam.test.cloud.ibm.com",
        "ASSISTANT_DISABLE_SSL": "false",
        "HOME": str(tmp_path),
    }
    client = AssistantClient.from_env("2024-08-25", environ=environ, timeout=5.0)
    assert client.service_url == "https://api.eu-de.assistant.watson.cloud.ibm.com/instances/x"
    assert isinstance(client.authenticator, IAMAuthenticator)
    assert client.authenticator.url == "https://iam.test.cloud.ibm.com/identity/token"
    assert "env-Key-777" not in repr(client)
    overridden = AssistantClient.from_env(
        "2024-08-25", environ=environ, service_url="http://127.0.0.1:1/instances/y"
    )
    assert overridden.service_url == "http://127.0.0.1:1/instances/y"
    assert client._gzip_min_bytes is None  # ASSISTANT_ENABLE_GZIP unset
    gzipped = AssistantClient.from_env(
        "2024-08-25", environ={**environ, "ASSISTANT_ENABLE_GZIP": "true"}
    )
    assert gzipped._gzip_min_bytes == 1024
    kept_off = AssistantClient.from_env(
        "2024-08-25", environ={**environ, "ASSISTANT_ENABLE_GZIP": "true"}, gzip_requests=False
    )
    assert kept_off._gzip_min_bytes is None


def test_from_env_without_configuration_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watson_async import AssistantClient

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ValueError, match="ASSISTANT_"):
        AssistantClient.from_env("2024-08-25", environ={"HOME": str(tmp_path)})


def test_assistant_ids_in_the_environment_are_not_settings(env: Env) -> None:
    # ASSISTANT_ID names an assistant for the chat and loadtest commands; it must not make
    # the environment the configuration source and hide credentials in VCAP_SERVICES.
    env.environ["ASSISTANT_ID"] = "a-1"
    env.environ["ASSISTANT_ENVIRONMENT_ID"] = "e-1"
    env.environ["VCAP_SERVICES"] = json.dumps(
        {"conversation": [{"name": "assistant", "credentials": {"apikey": APIKEY}}]}
    )
    cfg = env.read()
    assert cfg.source == "VCAP_SERVICES"
    assert "ID" not in cfg.values


class _Cache:
    """A token cache nobody asks (the authenticators only keep it until a fetch)."""

    async def get_token(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("not asked")

    async def invalidate(self, *args: object) -> None:
        raise AssertionError("not asked")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ({"APIKEY": APIKEY}, IAMAuthenticator),
        (
            {"AUTH_TYPE": "cp4d", "AUTH_URL": "https://cpd.example", "USERNAME": "u"}
            | {"PASSWORD": PASSWORD},
            watson_async.auth.CloudPakForDataAuthenticator,
        ),
    ],
)
def test_a_token_cache_goes_to_the_token_authenticators(
    env: Env, values: dict[str, str], kind: type
) -> None:
    env.environ.update({f"ASSISTANT_{k}": v for k, v in values.items()})
    cache = _Cache()
    authenticator = authenticator_from_config(env.read(), token_cache=cache)
    assert isinstance(authenticator, kind)
    assert authenticator._token_cache is cache


@pytest.mark.parametrize(
    "values",
    [{"AUTH_TYPE": "bearerToken", "BEARER_TOKEN": TOKEN}, {"AUTH_TYPE": "noAuth"}],
)
def test_a_token_cache_with_an_authenticator_that_fetches_no_token_is_refused(
    env: Env, values: dict[str, str]
) -> None:
    env.environ.update({f"ASSISTANT_{k}": v for k, v in values.items()})
    with pytest.raises(ValueError, match="token_cache works with auth types iam and cp4d, not"):
        authenticator_from_config(env.read(), token_cache=_Cache())
