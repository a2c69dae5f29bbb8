"""Feature loading: each feature's plugin declares what it adds, and the app factory, the
worker, the CLI, the schema and `ivr flows validate` all pick it up from there."""

from click.testing import CliRunner

from core import features
from core.cli import cli
from core.models import metadata


def test_every_feature_loads_in_dependency_order():
    loaded = features.load()
    assert tuple(f.name for f in loaded) == features.FEATURES
    assert features.load() is loaded  # imported once per process


def test_the_one_schema_holds_every_features_tables():
    assert {"users", "customers", "tickets", "calls", "flow_revisions", "recordings",
            "transcripts"} <= set(metadata.tables)


def test_the_app_mounts_every_features_web_edge(app):
    prefixes = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    assert {"api", "twilio", "recordings", "desk", "supervisor", "readyz"} <= prefixes
    assert {link.endpoint for link in app.extensions["nav"]} == {
        "desk.home", "supervisor_flows.index", "dashboard.live", "dashboard.report_page"}


def test_the_cli_has_every_features_commands():
    assert {"serve", "worker", "db", "users", "flows", "demo", "recordings",
            "assignment"} <= set(cli.commands)
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "assignment" in result.output


def test_the_worker_serves_the_transcription_queue_sweeps_and_distributes():
    queues = [q for f in features.load() for q in f.worker_queues]
    assert queues == ["transcription"]
    tasks = [t.name for f in features.load() for t in f.periodic]
    assert tasks == ["recording sweep", "distribution", "offline desks"]


def test_files_beside_the_flows_are_checked_by_the_feature_that_reads_them(tmp_path):
    (tmp_path / "assignment.yaml").write_text("teams: [not, a, mapping]\n")
    (tmp_path / "templates.yaml").write_text("templates:\n  thanks: {unknown: 1}\n")
    problems = [p for f in features.load() for file in f.config_files
                for p in file.check(tmp_path)]
    assert {p.path.rsplit("/", 1)[-1] for p in problems} == {"assignment.yaml",
                                                            "templates.yaml"}
