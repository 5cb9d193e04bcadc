"""The watson-async command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from watson_async import AssistantClient, IAMAuthenticator, RateLimitError
from watson_async.cli.main import build_parser, main


def test_demo_runs_conversations_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--conversations", "4", "--concurrency", "2"]) == 0
    out = capsys.readouterr().out
    assert "you> book a trip" in out
    assert "bot> Booked a trip to Paris." in out
    assert "calls      28" in out  # 4 x (create + 5 turns + delete)
    assert "errors     0" in out
    assert "p99" in out


def test_demo_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--conversations", "0"])


@contextlib.asynccontextmanager
async def _fake_server(*args: str) -> AsyncIterator[Callable[[str], Awaitable[list[str]]]]:
    """``watson-async fake-server *args`` as a process: gives ``until(prefix)``, which reads
    its output up to the first line starting with ``prefix``; Ctrl-C must stop it (0)."""
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "watson_async.cli.main", "fake-server", *args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []

    async def until(prefix: str) -> list[str]:
        assert proc.stdout is not None
        while not any(line.startswith(prefix) for line in lines):
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert line, f"fake-server exited before printing {prefix!r}"
            lines.append(line.rstrip("\n"))
        return lines

    try:
        yield until
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.parametrize("limited", [False, True])
async def test_fake_server_prints_credentials_serves_and_stops_on_sigint(limited: bool) -> None:
    # Limited: one request per endpoint per year-long window (aligned to the fake's
    # clock, so it ends anywhere in the next year: 60 s or less left is one chance in
    # half a million), so the second is refused for longer than the default window.
    limit = ["--rate-limit", "1", "--rate-window", "31536000"] if limited else []
    async with _fake_server(*limit) as until:
        fields = dict(
            parts for parts in map(str.split, await until("  environment_id")) if len(parts) == 2
        )
        async with AssistantClient(
            "2024-08-25",
            IAMAuthenticator(fields["apikey"], url=fields["iam_url"]),
            service_url=fields["service_url"],
            retry=None,
            rate_limit_gate=False,
        ) as client:
            session = await client.create_session(fields["assistant_id"], fields["environment_id"])
            assert session.session_id
            if limited:
                with pytest.raises(RateLimitError) as refused:
                    await client.create_session(fields["assistant_id"], fields["environment_id"])
                assert refused.value.retry_after is not None
                assert 60 < refused.value.retry_after <= 31536000


def test_a_closed_pipe_ends_the_demo_quietly() -> None:
    # `watson-async demo | head -1`: no BrokenPipeError traceback, the exit status of a
    # command killed by SIGPIPE.
    code = "import sys; from watson_async.cli.main import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", code, "demo", "-n", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=60)
    assert b"Traceback" not in stderr
    assert proc.returncode == 141


def test_fake_server_on_a_taken_port_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["fake-server", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, no traceback
    assert err.startswith(f"watson-async fake-server: can't listen on 127.0.0.1:{port}: ")
    assert "address already in use" in err.lower()


async def test_fake_server_prints_an_export_block_and_applies_its_fault_options() -> None:
    options = ("--error-rate", "1", "--fault", "rate-limit", "--latency", "0.01")
    async with _fake_server(*options) as until:
        lines = await until("export ASSISTANT_ENVIRONMENT_ID=")
        assert "  latency         0.01 s per request" in lines
        assert "  error rate      1 of API requests get rate-limit" in lines
        block = "\n".join(line for line in lines if line.startswith("export "))
        # A shell can eval the block as printed.
        shell = await asyncio.create_subprocess_exec(
            *("sh", "-c", 'eval "$1"; printf "%s %s" "$ASSISTANT_ID" "$ASSISTANT_URL"', "sh"),
            block,
            stdout=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "")},
        )
        out, _ = await asyncio.wait_for(shell.communicate(), 20)
        assert shell.returncode == 0
        assistant_id, service_url = out.decode().split()
        environ = dict(
            shlex.split(line.removeprefix("export "))[0].split("=", 1)
            for line in block.splitlines()
        )
        assert environ["ASSISTANT_ID"] == assistant_id
        assert environ["ASSISTANT_URL"] == service_url
        async with AssistantClient.from_env(
            "2024-08-25", environ=environ, retry=None, rate_limit_gate=False
        ) as client:
            with pytest.raises(RateLimitError):  # --error-rate 1 --fault rate-limit
                await client.create_session(assistant_id, environ["ASSISTANT_ENVIRONMENT_ID"])


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--latency", "61"], "--latency: must be at most 60 seconds"),
        (["--latency", "-1"], "--latency: must be a finite number >= 0"),
        (["--error-rate", "1.5"], "--error-rate: must be between 0 and 1"),
        (["--fault", "gremlins"], "--fault: invalid choice: 'gremlins'"),
        (["--fault", "disconnect"], "--fault needs --error-rate"),
        (["--rate-limit", "0"], "--rate-limit: must be at least 1"),
    ],
)
def test_fake_server_refuses_bad_options(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fake-server", *argv])
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err


@pytest.mark.parametrize("command", ["fake-server", "loadtest"])
def test_every_rate_limit_option_states_its_unit(command: str) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {
        option: action.help or ""
        for action in sub.choices[command]._actions
        for option in action.option_strings
        if "rate-limit" in option or "rate-window" in option
    }
    assert len(helps) == 2, helps
    for option, text in helps.items():
        assert "per minute" in text or "60" in text, (option, text)
        assert "second" in text or " s" in text or "per minute" in text, (option, text)
