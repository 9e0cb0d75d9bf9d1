"""deploy/ checked offline: what a team runs on real machines says what docs/deploy.md promises.

No Docker engine, no `docker compose` plugin and no Helm chart are available here, so these
tests read the files: the UI is published on loopback only, runs go through the intended run
launcher, the services find each other, the instance matches the project's, and no secret value
is written into any file (only references to the host environment or to Kubernetes Secrets).
"""

import re
from pathlib import Path
from typing import Any

import yaml

from sensequant_assets.defs.resources import WAREHOUSE_SETTINGS
from sensequant_assets.paths import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|WEBHOOK")
HOST_REFERENCE = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def test_compose_publishes_the_ui_on_loopback_only() -> None:
    services = load(DEPLOY / "docker-compose.yaml")["services"]
    assert set(services) == {"postgres", "code-server", "webserver", "daemon"}
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"webserver": ["127.0.0.1:3000:3000"]}


def test_compose_secrets_come_from_the_host_environment() -> None:
    """Every secret-looking variable is a ${...} reference, resolved when compose starts."""
    services = load(DEPLOY / "docker-compose.yaml")["services"]
    checked = 0
    for service in services.values():
        for name, value in service.get("environment", {}).items():
            if SECRET_NAME.search(name):
                assert HOST_REFERENCE.match(str(value)), f"{name} holds a value: {value!r}"
                checked += 1
    assert checked >= 10  # the database password and Breeze keys on every service that needs them
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert not SECRET_NAME.search(" ".join(re.findall(r"^ENV .*(?:\n .*)*", dockerfile, re.M)))


def test_services_find_the_code_server_over_tcp() -> None:
    [entry] = load(DEPLOY / "workspace.yaml")["load_from"]
    grpc = entry["grpc_server"]
    assert (grpc["host"], grpc["port"], grpc["location_name"]) == (
        "code-server",
        4000,
        "sensequant_assets",
    )
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert '"code-server", "start"' in dockerfile and '"-p", "4000"' in dockerfile
    services = load(DEPLOY / "docker-compose.yaml")["services"]
    for name in ("webserver", "daemon"):
        assert "/opt/dagster/home/workspace.yaml" in services[name]["command"]


def test_compose_instance_is_the_postgres_template_plus_docker_runs() -> None:
    """deploy/dagster.yaml = dagster-postgres.yaml (itself tested on a real PostgreSQL) plus
    the DockerRunLauncher, which passes variable names on to run containers, never values."""
    instance = load(DEPLOY / "dagster.yaml")
    launcher = instance.pop("run_launcher")
    assert instance == load(REPO_ROOT / "dagster-postgres.yaml")
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    names = launcher["config"]["env_vars"]
    assert all(re.fullmatch(r"[A-Z_]+", name) for name in names)
    assert {"DAGSTER_PG_PASSWORD", "BREEZE_API_KEY", "BREEZE_SESSION_TOKEN"} <= set(names)
    network = load(DEPLOY / "docker-compose.yaml")["networks"]["sensequant"]["name"]
    assert launcher["config"]["network"] == network


def test_helm_values_launch_runs_on_kubernetes_with_secrets_from_a_secret() -> None:
    values = load(DEPLOY / "helm" / "values.yaml")
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    secrets = [{"name": "sensequant-secrets"}]
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == secrets
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert values["dagster-user-deployments"]["enabled"] and deployment["envSecrets"] == secrets
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "sensequant_assets.definitions"]
    assert values["dagsterWebserver"]["service"]["type"] == "ClusterIP"
    assert (
        values["global"]["postgresqlSecretName"] and not values["generatePostgresqlPasswordSecret"]
    )
    assert scalar_secrets(values) == []


# What a run needs to reach the lake; the catalog schema has a default of its own.
LAKE_VARIABLES = set(WAREHOUSE_SETTINGS.values()) - {"SENSEQUANT_LAKE_SCHEMA"}


def image_variables() -> set[str]:
    """The variables deploy/Dockerfile sets in the image (ENV A=... \\ B=...)."""
    env = re.findall(r"^ENV .*(?:\n .*)*", (DEPLOY / "Dockerfile").read_text(), re.M)
    return set(re.findall(r"([A-Z_]+)=", " ".join(env)))


def test_compose_runs_reach_the_lake_when_the_host_selects_it() -> None:
    """SENSEQUANT_WAREHOUSE_BACKEND=ducklake on the host reaches the code server, the daemon and
    every run container, with all else the lake needs; unset, they keep the DuckDB file."""
    services = load(DEPLOY / "docker-compose.yaml")["services"]
    for name in ("code-server", "daemon"):
        backend = services[name]["environment"]["SENSEQUANT_WAREHOUSE_BACKEND"]
        assert backend == "${SENSEQUANT_WAREHOUSE_BACKEND:-duckdb}", name
    passed_to_runs = set(load(DEPLOY / "dagster.yaml")["run_launcher"]["config"]["env_vars"])
    assert passed_to_runs | image_variables() >= LAKE_VARIABLES
    lake_path = re.search(r"SENSEQUANT_LAKE_DATA_PATH=(\S+)", (DEPLOY / "Dockerfile").read_text())
    assert lake_path and lake_path[1].startswith("/data/")  # on the shared sensequant-data volume


def test_helm_runs_write_a_lake_on_the_shared_claim_with_the_password_from_a_secret() -> None:
    values = load(DEPLOY / "helm" / "values.yaml")
    [deployment] = values["dagster-user-deployments"]["deployments"]
    env = {entry["name"]: entry["value"] for entry in deployment["env"]}
    assert env["SENSEQUANT_WAREHOUSE_BACKEND"] == "ducklake"
    [mount] = deployment["volumeMounts"]
    assert env["SENSEQUANT_LAKE_DATA_PATH"].startswith(mount["mountPath"] + "/")
    # The password is the one variable left to the Secret; the header says how to create it.
    assert LAKE_VARIABLES - set(env) == {"DAGSTER_PG_PASSWORD"}
    header = (DEPLOY / "helm" / "values.yaml").read_text().split("\nglobal:")[0]
    assert "--from-literal=DAGSTER_PG_PASSWORD=..." in header
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]  # runs get the same env


def test_the_first_year_reaches_the_code_server_and_every_run_alike() -> None:
    """The partitions are built from SENSEQUANT_FIRST_YEAR where the code loads: the code
    server, the daemon and each run must read one value, or they disagree on what exists."""
    services = load(DEPLOY / "docker-compose.yaml")["services"]
    for name in ("code-server", "daemon"):
        assert services[name]["environment"]["SENSEQUANT_FIRST_YEAR"] == (
            "${SENSEQUANT_FIRST_YEAR:-2016}"
        ), name
    passed_to_runs = load(DEPLOY / "dagster.yaml")["run_launcher"]["config"]["env_vars"]
    assert "SENSEQUANT_FIRST_YEAR" in passed_to_runs
    [deployment] = load(DEPLOY / "helm" / "values.yaml")["dagster-user-deployments"]["deployments"]
    env = {entry["name"]: entry["value"] for entry in deployment["env"]}
    assert env["SENSEQUANT_FIRST_YEAR"] == "2016"


def scalar_secrets(node: Any, key: str = "") -> list[str]:
    """Keys (or env entries) that look like a secret and hold a value in the file itself.

    A key that names where a secret lives (`postgresqlSecretName`, `envSecrets`) or whether the
    chart generates one is allowed; a password, token or API key written out is not.
    """
    if isinstance(node, dict):
        if "name" in node and "value" in node and SECRET_NAME.search(str(node["name"])):
            return [str(node["name"])]
        return [found for k, v in node.items() for found in scalar_secrets(v, str(k))]
    if isinstance(node, list):
        return [found for item in node for found in scalar_secrets(item, key)]
    allowed = key.endswith("SecretName") or isinstance(node, bool)
    named_secret = re.search(r"(?i)password|token|api_?key|secret", key)
    return [key] if named_secret and not allowed else []
