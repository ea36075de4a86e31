"""deploy/kubernetes: every manifest validated (strict) against the bundled Kubernetes schemas."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.paths import REPO

K8S = REPO / "deploy" / "kubernetes"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
VERSIONS = ("1.28.0", kubernetes_validate.latest_version())  # oldest we claim, and newest


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((K8S / name).read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid(manifest: Path, version: str) -> None:
    for doc in yaml.safe_load_all(manifest.read_text()):
        kubernetes_validate.validate(doc, version, strict=True)


def test_validation_catches_a_broken_manifest() -> None:
    broken = load("deployment.yaml")
    broken["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_kustomizations_name_files_that_exist() -> None:
    for kustomization in (K8S / "kustomization.yaml", K8S / "cronjob" / "kustomization.yaml"):
        resources = yaml.safe_load(kustomization.read_text())["resources"]
        assert all((kustomization.parent / r).is_file() for r in resources), resources
    daemon = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    cron = yaml.safe_load((K8S / "cronjob" / "kustomization.yaml").read_text())["resources"]
    assert "deployment.yaml" in daemon and "cronjob.yaml" not in daemon
    assert "../cronjob.yaml" in cron and "../deployment.yaml" not in cron


def pod(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["template"]["spec"]


def test_deployment_one_replica_recreate_probes_and_a_locked_down_pod() -> None:
    deployment = load("deployment.yaml")
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    (container,) = pod(spec)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["args"][:3] == ["depsentry", "daemon", "run"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod(spec)["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in pod(spec)["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert (
        volumes[mounts["/var/lib/depsentry"]]["persistentVolumeClaim"]["claimName"]
        == (load("pvc.yaml")["metadata"]["name"])
    )
    assert (
        volumes[mounts["/etc/depsentry"]]["configMap"]["name"]
        == (load("configmap.yaml")["metadata"]["name"])
    )
    assert (
        volumes[mounts["/run/secrets/depsentry"]]["secret"]["secretName"]
        == (load("secret.yaml")["metadata"]["name"])
    )


def test_cronjob_runs_once_and_never_overlaps() -> None:
    cronjob = load("cronjob.yaml")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job_pod = pod(cronjob["spec"]["jobTemplate"]["spec"])
    (container,) = job_pod["containers"]
    assert container["args"][-1] == "--once" and container["args"][1:3] == ["daemon", "run"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    deployment_volumes = pod(load("deployment.yaml")["spec"])["volumes"]
    assert job_pod["volumes"] == deployment_volumes  # the same store, config and secrets


def test_configmap_holds_a_config_whose_secrets_are_the_mounted_secret() -> None:
    config = tomllib.loads(load("configmap.yaml")["data"]["depsentry.toml"])
    secret_keys = set(load("secret.yaml")["stringData"])
    assert config["daemon"]["listen"] == "0.0.0.0:8787"
    files = [config["daemon"]["token_file"]] + [c["url_file"] for c in config["channel"]]
    for path in files:
        directory, _, key = path.rpartition("/")
        assert directory == "/run/secrets/depsentry" and key in secret_keys
    assert all("git" in p and "branch" in p for p in config["project"])
