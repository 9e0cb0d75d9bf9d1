"""Which data a checkout holds: the synthetic demo's or the live market's, never both at once.

A profile names one set of places: the Dagster instance (runs, event log, partitions), the
warehouse, the Breeze answer cache, the constituent-list folder the sensor watches, reports,
models, the alerts log and the folder of secrets. `SENSEQUANT_PROFILE` (`demo` or `live`) is the
one switch; unset, it follows `SENSEQUANT_SOURCE` (a market source, `breeze` or `csv`, is
`live`), and the profile gives the source its default in turn. Each place can still be moved by
its own variable (`SENSEQUANT_WAREHOUSE`, `DAGSTER_HOME`, ...): that is how a user asks for
anything else.

The live list folder starts empty: a live start takes up no list until the user puts one there
(the shipped NIFTY lists and the demo list, whose symbols are broken on purpose, stay with the
demo). Every entry point (`make`, `sensequant`, the demo) creates the profile's instance from the
checked-in `dagster.yaml` template when it is missing, and writes `.env`, which `dagster` and `dg`
commands started in the project folder read, so they open the same instance with no variable set.
"""

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sensequant_assets.paths import DATA_DIR, REPO_ROOT

PROFILE_VARIABLE = "SENSEQUANT_PROFILE"
SOURCE_VARIABLE = "SENSEQUANT_SOURCE"
MARKET_SOURCES = ("breeze", "csv")
INSTANCE_TEMPLATE = REPO_ROOT / "dagster.yaml"
DOTENV = REPO_ROOT / ".env"
SECRETS_ROOT = REPO_ROOT / ".secrets"
DOTENV_HEADER = "# Written by make and sensequant (sensequant_assets/profiles.py)"


class ProfileError(ValueError):
    """An unknown profile, or a profile and a source that would mix synthetic and market data."""


@dataclass(frozen=True)
class Profile:
    """The default places of one profile; each has its own override variable."""

    name: str
    source: str
    dagster_home: Path
    data_dir: Path

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache" / "breeze"

    @property
    def constituents_dir(self) -> Path:
        return self.data_dir / "constituents"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def alerts_log(self) -> Path:
        return self.data_dir / "alerts.log"

    @property
    def secrets_dir(self) -> Path:
        """Outside `data/` and the instance, so no backup of either carries a credential."""
        return SECRETS_ROOT / self.name


PROFILES = {
    "demo": Profile("demo", "synthetic", REPO_ROOT / ".dagster_home", DATA_DIR),
    "live": Profile("live", "breeze", REPO_ROOT / ".dagster_home_live", DATA_DIR / "live"),
}


def active_profile(environ: Mapping[str, str] | None = None) -> Profile:
    """The profile `SENSEQUANT_PROFILE` names, else the one `SENSEQUANT_SOURCE` implies."""
    env = os.environ if environ is None else environ
    name = env.get(PROFILE_VARIABLE, "").strip().lower()
    source = env.get(SOURCE_VARIABLE, "").strip().lower()
    if not name:
        name = "live" if source in MARKET_SOURCES else "demo"
    if name not in PROFILES:
        raise ProfileError(
            f"{PROFILE_VARIABLE}={name!r} is not one of {', '.join(PROFILES)}; set it to "
            "`demo` (synthetic data) or `live` (Breeze or the legacy CSV cache)."
        )
    market = source in MARKET_SOURCES
    if source and (name == "live") != market:
        wanted = "live" if market else "demo"
        raise ProfileError(
            f"{PROFILE_VARIABLE}={name} with {SOURCE_VARIABLE}={source} would put "
            f"{'market' if market else 'synthetic'} data into the {name} profile's instance, "
            f"warehouse and list folder; set {PROFILE_VARIABLE}={wanted} (or unset one of them)."
        )
    return PROFILES[name]


def secrets_folder(environ: Mapping[str, str] | None = None) -> Path:
    """Where secrets of the active profile live (`SENSEQUANT_CREDENTIALS_DIR` moves them)."""
    env = os.environ if environ is None else environ
    return Path(env.get("SENSEQUANT_CREDENTIALS_DIR") or active_profile(env).secrets_dir)


def ensure_instance(profile: Profile, environ: Mapping[str, str] | None = None) -> Path:
    """The Dagster home every entry point uses: `DAGSTER_HOME` where the user set it, else the
    profile's own. A missing `dagster.yaml` is created from the template (a Dagster home without
    it runs with no warehouse pool, so concurrent runs would fight over the DuckDB lock); the
    live profile's list folder is created empty, so the sensor says it waits for a list."""
    env = os.environ if environ is None else environ
    home = Path(env.get("DAGSTER_HOME") or profile.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        _write_atomically(config, INSTANCE_TEMPLATE.read_text())
    profile.constituents_dir.mkdir(parents=True, exist_ok=True)
    return home


def dotenv_text(profile: Profile = PROFILES["demo"]) -> str:
    """`.env` for `dagster`/`dg` commands run here: the demo's instance unless `DAGSTER_HOME` is
    set (python-dotenv's `${VAR:-default}`; Dagster lets `.env` override the shell otherwise)."""
    return (
        f"{DOTENV_HEADER}: the Dagster instance\n"
        "# that `dagster dev`, `dg dev` and `dagster asset ...` started in this folder use.\n"
        "# A DAGSTER_HOME set in the shell wins. Regenerated when the checkout moves.\n"
        f"DAGSTER_HOME=${{DAGSTER_HOME:-{profile.dagster_home}}}\n"
    )


def ensure_dotenv(path: Path = DOTENV) -> None:
    """Write `.env` when it is missing or names another folder (a moved checkout); a `.env` the
    user wrote by hand (no DAGSTER_HOME line of ours) is left alone."""
    wanted = dotenv_text()
    try:
        current = path.read_text()
    except FileNotFoundError:
        current = None
    if current == wanted or (current is not None and not current.startswith(DOTENV_HEADER)):
        return
    _write_atomically(path, wanted)


def project_instance(environ: Mapping[str, str] | None = None) -> Path:
    """Make the active profile's instance this process's: set `DAGSTER_HOME` (unless the user
    did), create the instance, refresh `.env`. Every `sensequant` command and the demo start
    here, so none of them needs a variable set."""
    env = os.environ if environ is None else environ
    home = ensure_instance(active_profile(env), env)
    # The one process-wide environment change, on purpose: only entry points (`sensequant`, the
    # demo) call this, and Dagster finds its instance, in-process and in the runs and daemons it
    # starts, by reading DAGSTER_HOME from the environment.
    os.environ["DAGSTER_HOME"] = str(home)
    ensure_dotenv()
    return home


def instance_mismatch(profile: Profile, environ: Mapping[str, str] | None = None) -> str | None:
    """What is wrong when `dagster dev`/`dg dev` opened another profile's instance (`.env` names
    the demo's; a live start needs its own), else None. Any other DAGSTER_HOME is the user's."""
    env = os.environ if environ is None else environ
    home = env.get("DAGSTER_HOME")
    if not env.get("DAGSTER_IS_DEV_CLI") or not home:
        return None
    others = {p.dagster_home.resolve(): p for p in PROFILES.values() if p != profile}
    other = others.get(Path(home).resolve())
    if other is None:
        return None
    return (
        f"the {profile.name} profile would record its runs in the {other.name} profile's Dagster "
        f"instance {home}; start the UI with `make ui SENSEQUANT_PROFILE={profile.name}`, or set "
        f"DAGSTER_HOME={profile.dagster_home} before `dagster dev`/`dg dev`"
    )


def _write_atomically(path: Path, text: str) -> None:
    """Whole or not at all: several processes may create the same file at one moment."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(name, 0o644)
    os.replace(name, path)


if __name__ == "__main__":  # `make instance`
    print(f"Dagster instance: {project_instance()}")
