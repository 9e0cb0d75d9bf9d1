"""deploy/ checked offline: what a team runs on real machines says what docs/deploy.md promises.

No Docker engine, no `docker compose` plugin and no Helm chart are available here, so these
tests read the files: the UI is published on loopback only, runs go through the intended run
launcher, the services find each other, the instance matches the project's, and no secret value
is written into any file (only references to the host environment or to Kubernetes Secrets).
"""

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from sensequant_assets.defs.resources import WAREHOUSE_SETTINGS, automation_on
from sensequant_assets.paths import REPO_ROOT
from sensequant_assets.warehouse.resources import WAREHOUSE_POOL

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
    # The password is the one variable left to a Secret: the chart's own database Secret, which
    # the chart puts into every pod as DAGSTER_PG_PASSWORD (never a second copy of it).
    assert LAKE_VARIABLES - set(env) == {"DAGSTER_PG_PASSWORD"}
    assert values["global"]["postgresqlSecretName"] == "dagster-postgresql-secret"
    assert "DAGSTER_PG_PASSWORD" not in helm_secrets()["sensequant-secrets"]
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


# Every setting the code reads reaches every run, in both deployments.

BINDERS = {"setting", "bound", "EnvVar", "int", "get", "getenv"}
VARIABLE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
# Read by the Breeze client to extend it with its own hosts, not a setting of the deployment; and
# Dagster's own: the chart and the image set each pod's DAGSTER_HOME, `dagster dev` sets
# DAGSTER_IS_DEV_CLI (profiles.py reads both only to find the instance).
NOT_SETTINGS = {"NO_PROXY", "DAGSTER_HOME", "DAGSTER_IS_DEV_CLI"}


def code_settings() -> set[str]:
    """Every environment variable the platform binds: the names passed to `setting(...)`,
    `bound(...)`, `dg.EnvVar(...)`/`.int(...)` and `environ.get(...)`, and the values of the
    `*_SETTINGS` tables (defs/resources.py), in every module the runs load (the CLI, which runs
    on the operator's host, excepted)."""
    found: set[str] = set()
    for path in (REPO_ROOT / "sensequant_assets").rglob("*.py"):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in BINDERS:
                    found |= {
                        arg.value
                        for arg in node.args
                        if isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and VARIABLE.fullmatch(arg.value)
                    }
            if (
                isinstance(node, ast.Assign)
                and any(
                    isinstance(t, ast.Name) and t.id.endswith("_SETTINGS") for t in node.targets
                )
                and isinstance(node.value, ast.Dict)
            ):
                found |= {v.value for v in node.value.values if isinstance(v, ast.Constant)}
    return found - NOT_SETTINGS


def test_the_collector_finds_the_settings_of_every_kind() -> None:
    """A guard on the collector itself: one variable of each way of binding one."""
    assert {
        "SENSEQUANT_WAREHOUSE",  # setting(...)
        "SENSEQUANT_INTRADAY_INTERVAL",  # bound(...)
        "BREEZE_API_KEY",  # dg.EnvVar(...)
        "SENSEQUANT_AUTOMATION",  # environ.get(...)
        "BREEZE_DAILY_RESERVE",  # BREEZE_SETTINGS
        "DAGSTER_PG_PASSWORD",  # WAREHOUSE_SETTINGS
    } <= code_settings()


def compose_environment(service: str) -> dict[str, str]:
    return {
        name: str(value)
        for name, value in load(DEPLOY / "docker-compose.yaml")["services"][service][
            "environment"
        ].items()
    }


def test_every_setting_the_code_reads_reaches_each_compose_run() -> None:
    """Each run container gets the image's folders plus the names the run launcher passes on;
    each name passed must be set in the daemon, or Dagster refuses to launch any run."""
    passed = load(DEPLOY / "dagster.yaml")["run_launcher"]["config"]["env_vars"]
    missing = code_settings() - set(passed) - image_variables()
    assert not missing, f"not passed to Compose run containers: {sorted(missing)}"
    daemon = set(compose_environment("daemon")) | image_variables()
    assert set(passed) <= daemon, sorted(set(passed) - daemon)
    code_server = set(compose_environment("code-server")) | image_variables()
    assert code_settings() <= code_server, sorted(code_settings() - code_server)


def helm_secrets() -> dict[str, set[str]]:
    """Each Secret the values' header tells the operator to create, with its keys."""
    header = (DEPLOY / "helm" / "values.yaml").read_text().split("\nglobal:")[0]
    commands = re.findall(r"kubectl create secret generic (\S+)((?:[^\n]*\\\n)*[^\n]*)", header)
    return {name: set(re.findall(r"--from-literal=([\w-]+)=", rest)) for name, rest in commands}


def test_every_setting_the_code_reads_reaches_each_helm_run() -> None:
    values = load(DEPLOY / "helm" / "values.yaml")
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]  # runs get the code server's env
    env = {entry["name"] for entry in deployment["env"]}
    [secret] = deployment["envSecrets"]
    from_secret = helm_secrets()[secret["name"]]
    # The chart sets DAGSTER_PG_PASSWORD in every pod from global.postgresqlSecretName.
    from_chart = {"DAGSTER_PG_PASSWORD"} if values["global"]["postgresqlSecretName"] else set()
    missing = code_settings() - env - from_secret - from_chart - image_variables()
    assert not missing, f"not passed to Helm runs: {sorted(missing)}"


def test_each_credential_lives_in_one_helm_secret() -> None:
    secrets = helm_secrets()
    assert secrets == {
        "dagster-postgresql-secret": {"postgresql-password"},
        "sensequant-secrets": {
            "BREEZE_API_KEY",
            "BREEZE_API_SECRET",
            "BREEZE_SESSION_TOKEN",
            "SENSEQUANT_ALERTS_WEBHOOK",
        },
    }


def test_deployments_run_themselves_unless_switched_off() -> None:
    """SENSEQUANT_AUTOMATION is on in both deployments, by one variable each."""
    for service in ("code-server", "daemon"):
        assert compose_environment(service)["SENSEQUANT_AUTOMATION"] == (
            "${SENSEQUANT_AUTOMATION:-on}"
        )
    [deployment] = load(DEPLOY / "helm" / "values.yaml")["dagster-user-deployments"]["deployments"]
    [value] = [e["value"] for e in deployment["env"] if e["name"] == "SENSEQUANT_AUTOMATION"]
    assert automation_on({"SENSEQUANT_AUTOMATION": value})
    assert not automation_on({"SENSEQUANT_AUTOMATION": "off"})


def test_compose_restarts_services_and_lets_the_ui_cancel_runs() -> None:
    services = load(DEPLOY / "docker-compose.yaml")["services"]
    assert {name: s.get("restart") for name, s in services.items()} == dict.fromkeys(
        services, "unless-stopped"
    )
    # DockerRunLauncher.terminate stops the run's container from whichever process asks: the
    # webserver, when the user cancels in the UI.
    socket = "/var/run/docker.sock:/var/run/docker.sock"
    assert socket in services["webserver"]["volumes"] and socket in services["daemon"]["volumes"]


def test_lists_reach_a_deployment_through_lists_add_onto_the_shared_volume() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "SENSEQUANT_CONSTITUENTS_DIR=/data/constituents" in dockerfile
    assert "mkdir -p /data/constituents" in dockerfile  # a new volume starts with the folder
    assert "COPY data/constituents" not in dockerfile  # no list is taken up unasked
    for path in (DEPLOY / "docker-compose.yaml", DEPLOY / "helm" / "values.yaml"):
        assert "sensequant lists add - --name" in path.read_text()
    assert "sensequant lists add" in (REPO_ROOT / "docs" / "deploy.md").read_text()


def test_helm_sets_the_warehouse_pool_through_the_charts_values() -> None:
    """The project declares one pool, so the chart's default pool limit is the warehouse's; it
    matches the project's instance, and nothing is left to set by hand."""
    pools_used = set()
    for path in (REPO_ROOT / "sensequant_assets" / "defs").rglob("*.py"):
        pools_used |= set(re.findall(r"\bpool=([A-Za-z_\"]+)", path.read_text()))
    assert pools_used == {"WAREHOUSE_POOL"} and WAREHOUSE_POOL == "warehouse"
    project = load(REPO_ROOT / "dagster-postgres.yaml")["concurrency"]["pools"]
    concurrency = load(DEPLOY / "helm" / "values.yaml")["concurrency"]
    assert concurrency["enabled"]
    assert concurrency["pools"] == {
        "defaultLimit": project["default_limit"],
        "granularity": project["granularity"],
        "opGranularityRunBuffer": project["op_granularity_run_buffer"],
    }
    assert "concurrency set" not in (DEPLOY / "helm" / "values.yaml").read_text()


# The keys of Dagster's chart, from its published schema: helm/dagster/values.schema.json in
# dagster-io/dagster (commit bdb8547f, the `dagsterWebserver` era) and the chart's `concurrency`
# model (helm/dagster/schema/.../concurrency.py, pydantic extra="forbid"). None of the chart, its
# schema or `helm` is reachable from a registry here, so this is the check that was possible: every
# key the values file sets is one the schema declares at that place, objects the schema closes
# (additionalProperties: false) hold only their keys, and required keys and enums hold.
CHART_KEYS: dict[str, set[str]] = {
    "": {
        "dagsterWebserver", "dagster-user-deployments", "postgresql",
        "generatePostgresqlPasswordSecret", "generateCeleryConfigSecret", "rabbitmq", "redis",
        "flower", "ingress", "imagePullSecrets", "computeLogManager", "scheduler", "runLauncher",
        "pythonLogs", "dagsterDaemon", "busybox", "migrate", "telemetry", "serviceAccount",
        "global", "retention", "additionalInstanceConfig", "concurrency",
    },
    "global": {
        "postgresqlSecretName", "dagsterHome", "serviceAccountName", "celeryConfigSecretName",
    },
    "postgresql": {
        "image", "enabled", "postgresqlHost", "postgresqlUsername", "postgresqlPassword",
        "postgresqlDatabase", "postgresqlParams", "postgresqlScheme", "service",
    },
    "postgresql.service": {"port"},
    "dagsterWebserver": {
        "replicaCount", "image", "nameOverride", "pathPrefix", "service", "workspace", "env",
        "envConfigMaps", "envSecrets", "deploymentLabels", "labels", "nodeSelector", "affinity",
        "tolerations", "podSecurityContext", "securityContext", "resources", "readinessProbe",
        "livenessProbe", "startupProbe", "annotations", "enableReadOnly", "dbStatementTimeout",
        "dbPoolRecycle", "logLevel", "schedulerName", "volumeMounts", "volumes",
        "initContainerResources",
    },
    "dagsterWebserver.service": {"type", "port", "annotations"},
    "dagster-user-deployments": {"enabled", "enableSubchart", "imagePullSecrets", "deployments"},
    "dagster-user-deployments.deployments[]": {
        "name", "image", "dagsterApiGrpcArgs", "codeServerArgs", "includeConfigInLaunchedRuns",
        "deploymentNamespace", "port", "env", "envConfigMaps", "envSecrets", "annotations",
        "nodeSelector", "affinity", "tolerations", "podSecurityContext", "securityContext",
        "resources", "livenessProbe", "readinessProbe", "startupProbe", "labels", "volumeMounts",
        "volumes", "schedulerName", "initContainers", "sidecarContainers",
    },
    "dagster-user-deployments.deployments[].image": {"repository", "tag", "pullPolicy"},
    "dagster-user-deployments.deployments[].includeConfigInLaunchedRuns": {"enabled"},
    "runLauncher": {"type", "config"},
    "runLauncher.config": {"celeryK8sRunLauncher", "k8sRunLauncher", "customRunLauncher"},
    "runLauncher.config.k8sRunLauncher": {
        "image", "imagePullPolicy", "jobNamespace", "loadInclusterConfig", "kubeconfigFile",
        "envConfigMaps", "envSecrets", "envVars", "volumeMounts", "volumes", "labels",
        "failPodOnRunFailure", "resources", "schedulerName", "securityContext", "runK8sConfig",
    },
    "runLauncher.config.k8sRunLauncher.runK8sConfig": {
        "containerConfig", "podSpecConfig", "podTemplateSpecMetadata", "jobSpecConfig",
        "jobMetadata",
    },
    "dagsterDaemon": {
        "enabled", "image", "runCoordinator", "heartbeatTolerance", "env", "envConfigMaps",
        "envSecrets", "deploymentLabels", "labels", "nodeSelector", "affinity", "tolerations",
        "podSecurityContext", "securityContext", "resources", "livenessProbe", "readinessProbe",
        "startupProbe", "annotations", "runMonitoring", "runRetries", "sensors", "schedules",
        "schedulerName", "volumeMounts", "volumes", "initContainerResources",
    },
    "dagsterDaemon.runCoordinator": {"enabled", "type", "config"},
    "dagsterDaemon.runCoordinator.config": {"queuedRunCoordinator", "customRunCoordinator"},
    "dagsterDaemon.runCoordinator.config.queuedRunCoordinator": {
        "maxConcurrentRuns", "tagConcurrencyLimits", "dequeueIntervalSeconds",
        "dequeueNumWorkers", "dequeueUseThreads", "blockOpConcurrencyLimitedRuns",
    },
    "dagsterDaemon.runCoordinator.config.customRunCoordinator": {"module", "class", "config"},
    # A free-form object in the schema; the keys configmap-instance.yaml renders.
    "dagsterDaemon.runMonitoring": {
        "enabled", "startTimeoutSeconds", "cancelTimeoutSeconds", "maxResumeRunAttempts",
        "pollIntervalSeconds", "freeSlotsAfterRunEndSeconds",
    },
    "retention": {"enabled", "sensor", "schedule", "autoMaterialize"},
    "retention.schedule": {"purgeAfterDays"},
    "retention.sensor": {"purgeAfterDays"},
    "retention.autoMaterialize": {"purgeAfterDays"},
    "retention.sensor.purgeAfterDays": {"skipped", "success", "failure", "started"},
    "retention.autoMaterialize.purgeAfterDays": {"skipped", "success", "failure", "started"},
    "telemetry": {"enabled"},
    "concurrency": {"enabled", "pools", "runs"},
    "concurrency.pools": {"defaultLimit", "granularity", "opGranularityRunBuffer"},
    "concurrency.runs": {"maxConcurrentRuns", "tagConcurrencyLimits"},
}  # fmt: skip
# Objects the schema closes or requires whole (TickRetentionByType: all four, no other).
REQUIRED_KEYS = {
    "retention.sensor.purgeAfterDays": {"skipped", "success", "failure", "started"},
    "retention.autoMaterialize.purgeAfterDays": {"skipped", "success", "failure", "started"},
    "dagsterDaemon.runCoordinator": {"enabled", "type", "config"},
    "dagsterDaemon.runCoordinator.config.customRunCoordinator": {"module", "class", "config"},
    "runLauncher": {"type", "config"},
    "dagster-user-deployments.deployments[]": {"name", "image", "port"},
}
ENUMS = {
    "runLauncher.type": {"CeleryK8sRunLauncher", "K8sRunLauncher", "CustomRunLauncher"},
    "dagsterDaemon.runCoordinator.type": {"QueuedRunCoordinator", "CustomRunCoordinator"},
    "dagster-user-deployments.deployments[].image.pullPolicy": {"Always", "IfNotPresent", "Never"},
    "concurrency.pools.granularity": {"run", "op"},
}


def chart_key_problems(node: Any, at: str = "") -> list[str]:
    """Where the values file leaves the chart's schema (empty when it does not)."""
    problems: list[str] = []
    if at in ENUMS and node not in ENUMS[at]:
        problems.append(f"{at}: {node!r} is not one of {sorted(ENUMS[at])}")
    if isinstance(node, list) and f"{at}[]" in CHART_KEYS:
        for item in node:
            problems += chart_key_problems(item, f"{at}[]")
    if not isinstance(node, dict) or at not in CHART_KEYS:
        return problems  # a Kubernetes object or a value: the chart passes it on as it is
    problems += [f"{at or '<top>'}: unknown key {key!r}" for key in set(node) - CHART_KEYS[at]]
    problems += [f"{at}: lacks {key!r}" for key in REQUIRED_KEYS.get(at, set()) - set(node)]
    for key, value in node.items():
        problems += chart_key_problems(value, f"{at}.{key}" if at else key)
    return problems


def test_helm_values_use_only_the_charts_keys() -> None:
    values = load(DEPLOY / "helm" / "values.yaml")
    assert chart_key_problems(values) == []
    # The chart renders a custom coordinator as module, class and config as they stand: the
    # project instance's own, so the daemon keeps its 2 s backfill pass on Kubernetes too.
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    project = load(REPO_ROOT / "dagster.yaml")
    assert coordinator["type"] == "CustomRunCoordinator"
    assert coordinator["config"]["customRunCoordinator"] == project["run_coordinator"]
    # How many runs at once is said once, in the chart's concurrency block (_concurrency.tpl
    # fails the render when the queued coordinator's block says it too).
    assert "queuedRunCoordinator" not in coordinator["config"]
    assert (
        values["concurrency"]["runs"]["maxConcurrentRuns"]
        == project["concurrency"]["runs"]["max_concurrent_runs"]
    )
    assert values["runLauncher"]["type"] == "K8sRunLauncher"


def test_the_chart_key_check_catches_what_the_chart_would_ignore_or_refuse() -> None:
    """The check itself: the mistakes the previous values file made are found."""
    assert chart_key_problems({"dagsterDaemon": {"runMonitoring": {"maxRuntimeSeconds": 3600}}})
    assert chart_key_problems({"retention": {"sensor": {"purgeAfterDays": {"skipped": 7}}}})
    assert chart_key_problems({"runLauncher": {"type": "DockerRunLauncher", "config": {}}})
    assert chart_key_problems({"concurrency": {"pools": {"warehouse": 2}}})
