"""The commented example config that `depsentry init` writes (it passes `load_settings`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["example_config"]

_HEAD = """\
# depsentry daemon configuration: `depsentry daemon validate` checks it, `depsentry daemon run`
# runs it. Every key is optional unless marked; the values shown are the defaults.
# Reference: README.md, "Run it as a service".

[daemon]
state_dir = {state_dir}          # the store, git clones and the advisory database
# store = "sqlite:///STATE_DIR/depsentry.sqlite3"   # or postgresql+psycopg://host/db (no password
#                                   here: store_password_env / store_password_file)
listen = "127.0.0.1:8787"          # health, readiness, metrics and the JSON API
concurrency = 4                    # scans in flight at once
# workers = 2                      # scan processes (default: CPUs, at most 2; 0: in-thread)
timezone = "UTC"                   # for schedules ("daily 02:00" is 02:00 here)
# token_file = "/etc/depsentry/token"     # bearer token for the API (required beyond loopback)
# token_credential = "depsentry-token"   # ... or a systemd credential (LoadCredential=)
drain_timeout = "30s"              # on SIGTERM, how long running scans may take to finish
scan_timeout = "10m"               # a scan taking longer is stopped and recorded as failed
watch = false                      # true: reload when this file (or projects_dir) changes
log_format = "auto"                # JSON lines unless stdout is a terminal; or "json", "human"
# projects_dir = "projects.d"      # one TOML file per project (name = the file name)
# offline = false                  # true: never download (sync from a local path only)

[advisories]
source = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"   # or a local path
sync = "every 6h"
embedded_fallback = true           # no database and no network: use the shipped snapshot

# [index]
# url = "https://pypi.org/simple/"
# extra_urls = []

[defaults]                         # what every project gets unless it says otherwise
schedule = "daily 02:00"           # "every 6h", "weekly mon 09:00", "monthly 1st mon 09:00",
                                   # or a cron line with day names: "30 2 * * mon-fri"
# jitter = "5m"                    # default: a tenth of the schedule's period, at most 5m
outdated = true                    # also look for outdated releases (asks the index)

"""

_GIT_EXAMPLE = """\
# A project the daemon clones (partial clone, sparse checkout of dependency files only):
# [[project]]
# name = "billing"
# git = "https://git.example.com/team/billing.git"
# branch = "main"
# token_env = "BILLING_GIT_TOKEN"   # or token_file = "...", or credential = "billing-git"
# username = "x-access-token"       # what the token goes with (GitLab: "oauth2")
# subdir = ""                       # scan only this folder of the repository
# policy = "monthly"                # monthly, strict, relaxed, or a policy file
# excludes = ["docs/", "examples/"] # gitignore-style: files and folders to leave out
# channels = ["team-slack"]

# Alert channels (`depsentry alerts test -c THIS_FILE` sends each a sample):
# [[channel]]
# name = "team-slack"
# kind = "slack"
# url_env = "TEAM_SLACK_WEBHOOK"
# min_severity = "high"
# quiet_hours = "22:00-08:00"       # in `timezone`; critical findings still go out

# How long an undelivered alert is retried (then `depsentry alerts failed` lists it):
# [alerts]
# give_up_after = "48h"

# Findings dismissed before any alert:
# [[triage]]
# name = "dev-tools"
# reason = "tolerable_risk"
# dev_only = true
# severity = ["low", "medium"]
"""


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.name).strip("-.") or "project"
    return name[:100]


def example_config(config: Path, projects: Sequence[Path], state_dir: str) -> str:
    """The example for a config written at `config`, watching `projects` (local folders)."""
    parts = [_HEAD.format(state_dir=_toml_string(state_dir))]
    used: set[str] = set()
    for project in projects:
        name = _name(project)
        while name in used:
            name += "-2"
        used.add(name)
        try:
            shown = project.resolve().relative_to(config.parent.resolve()).as_posix()
        except ValueError:
            shown = str(project.resolve())
        parts.append(
            f"[[project]]\nname = {_toml_string(name)}\npath = {_toml_string(shown)}"
            "                 # relative to this file\n"
            '# schedule = "daily 02:00"\n# policy = "monthly"\n\n'
        )
    parts.append(_GIT_EXAMPLE)
    return "".join(parts)
