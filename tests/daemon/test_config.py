"""`depsentry.toml` and a projects directory -> Settings; every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.daemon.config import load_settings
from depsentry.errors import ConfigError, ConfigErrors

# The documented shape from the issue, as runbooks will copy it (plus the channel it names).
ISSUE_SHAPE = """\
[daemon]
state_dir = "/var/lib/depsentry"     # store, clones, caches
listen = "127.0.0.1:8787"
concurrency = 4
timezone = "Asia/Shanghai"
[advisories]
source = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"  # or a path
sync = "every 6h"
[[project]]
name = "billing"
path = "/srv/billing"                # or: git = "https://...", branch = "main"
schedule = "daily 02:00"             # or a cron line with day names
policy = "monthly"
channels = ["team-slack"]

[[channel]]
name = "team-slack"
kind = "slack"
url_env = "TEAM_SLACK_WEBHOOK"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        load_settings(path)
    return list(caught.value.problems)


def test_the_documented_shape_works_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/x")
    settings = load_settings(write(tmp_path / "depsentry.toml", ISSUE_SHAPE))
    assert settings.state_dir == Path("/var/lib/depsentry")
    assert (settings.listen_host, settings.listen_port, settings.concurrency) == (
        "127.0.0.1",
        8787,
        4,
    )
    assert settings.timezone == "Asia/Shanghai"
    assert settings.store_url == "sqlite:////var/lib/depsentry/depsentry.sqlite3"
    assert settings.sync.interval is not None and settings.sync.interval.total_seconds() == 6 * 3600
    (billing,) = settings.projects
    assert billing.name == "billing" and billing.path == Path("/srv/billing")
    assert billing.policy == "monthly" and billing.channels == ("team-slack",)
    assert billing.schedule.text == "daily 02:00"
    assert settings.channels == (
        {"name": "team-slack", "kind": "slack", "url_env": "TEAM_SLACK_WEBHOOK"},
    )
    # /srv/billing does not exist here: a warning, not a refusal (its scans will say so).
    assert any("no such directory" in w for w in settings.warnings)


def test_every_problem_is_reported_at_once_each_naming_its_key(tmp_path: Path) -> None:
    config = write(
        tmp_path / "depsentry.toml",
        """\
[daemon]
concurency = 4
listen = "nowhere"
timezone = "Mars/Olympus"
[advisories]
sync = "every fortnight"
[[project]]
name = "billing"
path = "."
schedule = "dialy 02:00"
channels = ["team-slack"]
[[project]]
name = "billing"
path = "."
[[project]]
name = "nothing"
""",
    )
    found = problems(config)
    text = "\n".join(found)
    assert len(found) == 8, text
    assert all(line.startswith(f"{config}: ") for line in found)
    assert "daemon.concurency: unknown key (did you mean 'concurrency'?)" in text
    assert "daemon.listen: expected HOST:PORT" in text
    assert "daemon.timezone: unknown time zone 'Mars/Olympus'" in text
    assert "advisories.sync: bad duration" in text
    assert "project[billing].schedule: bad schedule 'dialy 02:00'" in text
    assert "project[billing].channels: no [[channel]] named 'team-slack'" in text
    assert "project[billing].name: project 'billing' is also defined in" in text
    assert "project[nothing].path: set exactly one of path or git" in text


def test_validate_prints_one_line_per_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "d.toml", '[daemon]\nconcurrency = 0\nwatch = "yes"\n')
    assert main(["daemon", "validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"depsentry: error: {config}: daemon.concurrency: expected a whole number from 1 to 64",
        f"depsentry: error: {config}: daemon.watch: expected true or false",
    ]


def test_validate_names_the_key_of_every_alerts_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        tmp_path / "d.toml",
        '[alerts]\ngive_up_after = "0s"\n'
        '[[triage]]\nname = "t"\nreason = "not_used"\ndev_only = "yes"\n'
        '[[channel]]\nname = "ding"\nkind = "dingtalk"\nurl_env = "UNSET_DING_URL_VAR"\n'
        'min_severity = "severe"\n',
    )
    assert main(["daemon", "validate", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}: alerts.give_up_after: expected a duration above zero" in err
    assert f"{config}: triage[t].dev_only: expected true or false" in err
    assert f"{config}: channel[0].min_severity: expected one of" in err
    assert f"{config}: channel[0].url_env: variable UNSET_DING_URL_VAR is not set" in err


def test_validate_says_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app").mkdir()
    config = write(tmp_path / "d.toml", '[[project]]\nname = "app"\npath = "app"\n')
    assert main(["daemon", "validate", "-c", str(config)]) == 0
    assert "ok: 1 project(s), 0 channel(s)" in capsys.readouterr().out


def test_projects_directory_one_file_per_project(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    config = write(
        tmp_path / "depsentry.toml",
        '[daemon]\nprojects_dir = "projects.d"\n[defaults]\nschedule = "every 1h"\npolicy = "strict"\n'
        '[[project]]\nname = "main-one"\npath = "app"\n',
    )
    write(
        tmp_path / "projects.d" / "billing.toml", 'path = "../app"\nschedule = "weekly mon 09:00"\n'
    )
    write(
        tmp_path / "projects.d" / "search.toml",
        'git = "https://git.example.com/search.git"\nbranch = "main"\n',
    )
    write(tmp_path / "projects.d" / ".billing.toml.swp", "not toml at all [[[")
    settings = load_settings(config)
    by_name = {p.name: p for p in settings.projects}
    assert set(by_name) == {"main-one", "billing", "search"}
    assert by_name["billing"].path == (tmp_path / "app").resolve()
    assert by_name["billing"].schedule.text == "weekly mon 09:00"
    assert by_name["search"].schedule.text == "every 1h"  # from [defaults]
    assert by_name["search"].policy == "strict"
    assert by_name["search"].git is not None and by_name["search"].git.branch == "main"
    assert by_name["billing"].defined_in == tmp_path / "projects.d" / "billing.toml"


def test_projects_directory_errors_name_their_file(tmp_path: Path) -> None:
    config = write(tmp_path / "depsentry.toml", '[daemon]\nprojects_dir = "projects.d"\n')
    bad = write(tmp_path / "projects.d" / "bad.toml", 'path = "."\nschedul = "daily 02:00"\n')
    broken = write(tmp_path / "projects.d" / "broken.toml", "path = \n")
    found = problems(config)
    assert f"{bad}: schedul: unknown key (did you mean 'schedule'?)" in found
    assert any(line.startswith(f"{broken}:") and "invalid TOML" in line for line in found)


def test_credentials_never_belong_in_the_config(tmp_path: Path) -> None:
    config = write(
        tmp_path / "depsentry.toml",
        '[daemon]\nstore = "postgresql+psycopg://depsentry:hunter2@db/depsentry"\n'
        '[[project]]\nname = "a"\ngit = "https://me:ghp_secret@github.com/me/a.git"\n'
        '[[project]]\nname = "b"\ngit = "https://github.com/me/b.git"\ntoken_env = "X"\ntoken_file = "/t"\n',
    )
    found = problems(config)
    text = "\n".join(found)
    assert "daemon.store: the URL carries a password" in text
    assert "project[a].git: the URL carries credentials" in text
    assert "project[b].token_file: set only one of token_env, token_file" in text
    assert "hunter2" not in text and "ghp_secret" not in text


def test_listening_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    config = write(tmp_path / "d.toml", '[daemon]\nlisten = "0.0.0.0:8787"\n')
    assert any("set daemon.token_file or daemon.token_credential" in p for p in problems(config))
    write(config, '[daemon]\nlisten = "0.0.0.0:8787"\ntoken_file = "token"\n')
    assert load_settings(config).token_file == (tmp_path / "token").resolve()
    write(config, '[daemon]\nlisten = "[::1]:9000"\n')
    assert load_settings(config).listen_host == "::1"


def test_unreadable_and_odd_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml")
    broken = write(tmp_path / "broken.toml", "[daemon]\nlisten = \n")
    with pytest.raises(ConfigError, match=r"invalid TOML") as caught:
        load_settings(broken)
    assert caught.value.line == 2
    bom = tmp_path / "bom.toml"
    bom.write_bytes("\ufeff[daemon]\nconcurrency = 2\n".encode())
    assert load_settings(bom).concurrency == 2
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(tmp_path)


def test_a_bad_policy_is_a_config_problem(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    write(tmp_path / "team.toml", '[review]\nevery = "fortnight"\n')
    config = write(
        tmp_path / "d.toml",
        '[[project]]\nname = "app"\npath = "app"\npolicy = "team.toml"\n'
        '[[project]]\nname = "other"\npath = "app"\npolicy = "nonexistent-preset"\n',
    )
    found = problems(config)
    assert len(found) == 2
    assert all("policy:" in line for line in found)


def test_defaults_fill_what_projects_leave_out(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    config = write(
        tmp_path / "d.toml",
        '[defaults]\nexcludes = ["docs/"]\noutdated = false\njitter = "0s"\n'
        '[[project]]\nname = "app"\npath = "app"\n'
        '[[project]]\nname = "app2"\npath = "app"\noutdated = true\n',
    )
    app, app2 = load_settings(config).projects
    assert app.excludes == ("docs/",) and not app.outdated and app.jitter == 0
    assert app2.outdated


def test_the_readme_config_reference_example_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.paths import REPO

    monkeypatch.setenv("TEAM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/x")

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Config reference", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    settings = load_settings(write(tmp_path / "depsentry.toml", example))
    assert [p.name for p in settings.projects] == ["billing", "search"]
    search = settings.projects[1]
    assert search.git is not None and search.git.token_env == "SEARCH_GIT_TOKEN"
    assert search.schedule.text == "30 2 * * mon-fri" and search.excludes == ("docs/", "examples/")
    assert settings.projects[0].schedule.text == "daily 02:00"  # from [defaults]


def test_workers_default_to_the_cpus_at_most_two_and_zero_means_in_thread(tmp_path: Path) -> None:
    import os

    assert load_settings(write(tmp_path / "a.toml", "[daemon]\n")).workers == min(
        os.cpu_count() or 1, 2
    )
    assert load_settings(write(tmp_path / "b.toml", "[daemon]\nworkers = 0\n")).workers == 0
    with pytest.raises(ConfigErrors, match="daemon.workers: expected a whole number from 0 to 64"):
        load_settings(write(tmp_path / "c.toml", "[daemon]\nworkers = -1\n"))
