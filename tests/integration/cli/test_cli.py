"""The watson-async command."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys

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


@pytest.mark.parametrize("limited", [False, True])
async def test_fake_server_prints_credentials_serves_and_stops_on_sigint(limited: bool) -> None:
    # Limited: one request per endpoint per year-long window (aligned to the fake's
    # clock, so it ends anywhere in the next year: 60 s or less left is one chance in
    # half a million), so the second is refused for longer than the default window.
    limit = ["--rate-limit", "1", "--rate-window", "31536000"] if limited else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "watson_async.cli.main",
        "fake-server",
        *limit,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        fields: dict[str, str] = {}
        assert proc.stdout is not None
        while "environment_id" not in fields:
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert line, "fake-server exited before printing its credentials"
            parts = line.split()
            if len(parts) == 2:
                fields[parts[0]] = parts[1]
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
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


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
