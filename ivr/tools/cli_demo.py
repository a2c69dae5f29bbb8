"""`ivr demo`: release, web and worker on embedded defaults, plus one sample call."""

from __future__ import annotations

import os
import sys
import threading

import click
from honcho.manager import Manager
from honcho.printer import Printer

from core import migrate
from core.embedded import embedded_redis
from core.settings import Settings
from ivr.tools import demo


@click.command(name="demo")
@click.option("--port", type=int, help="HTTP port (default: $PORT or 8000).")
@click.option("--no-call", is_flag=True, help="Do not place the sample call.")
def demo_command(port: int | None, no_call: bool) -> None:
    """Run everything on embedded defaults (SQLite, embedded Redis) with the example flows."""
    os.environ.setdefault("IVR_ENV", "development")
    if port:
        os.environ["PORT"] = str(port)
    settings = Settings.from_env().check()
    if settings.production:
        raise click.ClickException("ivr demo runs in development mode; unset IVR_ENV=production.")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with embedded_redis(settings) as embedded_url:
        redis_url = embedded_url or settings.redis_url
        click.echo(f"release: migrating {migrate.safe_url(settings.database_url)}")
        migrate.upgrade(settings.database_url)
        login = demo.seed(settings)
        model = settings.transcription.vosk_model_path or demo.installed_model()
        recordings = demo.SampleRecordings(settings.twilio.twilio_account_sid,
                                           settings.twilio.twilio_auth_token)
        env = demo.environment(settings, redis_url=redis_url, model=model, recordings=recordings)
        manager = Manager(Printer(sys.stdout))
        manager.add_process("web", f"ivr serve --port {settings.port}", env=env)
        manager.add_process("worker", "ivr worker", env=env)
        threading.Thread(target=_introduce, daemon=True,
                         args=(settings, login, model, recordings, no_call)).start()
        manager.loop()
        sys.exit(manager.returncode)


def _introduce(settings: Settings, login: demo.DemoLogin, model, recordings, no_call) -> None:
    base = settings.public_base_url
    if not demo.wait_until_ready(base):
        click.echo(f"demo: the web process did not become ready at {base}/readyz", err=True)
        return
    lines = [
        "", "=" * 72, f"Contact center running at {base}  (development mode)",
        f"  agent desk:   {base}/desk   login {login.username} / {login.password}",
        f"  supervisor:   {base}/supervisor/live  {base}/supervisor/reports  "
        f"{base}/supervisor/flows",
        f"  health:       {base}/readyz",
        f"  JSON API:     curl -H 'Authorization: Bearer {settings.api_token}' "
        f"{base}/api/tickets",
        f"  Twilio:       point your number's voice webhook at {base}/twilio/voice",
        "  simulate:     .venv/bin/ivr flows simulate support --from +819012345678 --input 3",
        f"  speech model: {model or 'none (set VOSK_MODEL_PATH): voicemails will show as failed'}",
    ]
    if demo.ffmpeg_missing():
        lines.append("  warning:      ffmpeg is not installed: transcription waits until it is")
    click.echo("\n".join(lines + ["=" * 72, ""]))
    if no_call:
        return
    sid = demo.place_sample_call(settings, base, recordings)
    click.echo(f"demo: sample call {sid}: 山田花子 asked for an operator, nobody was free, "
               "she left a voicemail")
    recording = demo.wait_for_transcript(settings, sid)
    if recording is None:
        click.echo("demo: the voicemail is still waiting for transcription", err=True)
    elif recording.status == "failed":
        click.echo(f"demo: voicemail on ticket #{recording.ticket_id} failed to transcribe: "
                   f"{recording.failure_reason}")
    else:
        click.echo(f"demo: voicemail transcribed onto ticket #{recording.ticket_id} of customer "
                   f"#{recording.customer_id} (see {base}/desk)")
