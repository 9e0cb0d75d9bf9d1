"""Bounds on every deployment setting, checked where the value enters.

A setting out of its bounds does not fail loudly by itself: a rate margin of -100 % lets every
call out at once, a timeout of 0 fails each call after sending it. So each numeric setting of a
resource declares its bounds (and each enumerated one its check) once, inside its type:

    calls_per_minute: Annotated[int, Field(ge=1), WHEN_RESOLVED] = Field(100, description=...)

and the value is checked in all three places it can come from: a literal given to the resource
(pydantic, at once), the environment variable `defs/resources.py` binds (`check_variable`, when
the code location loads, naming the variable), and the value Dagster resolves from that
variable when a run builds the resource (pydantic again). An unresolved `dg.EnvVar` is only a
placeholder (its own name, or 0 for `EnvVar.int`), so `WHEN_RESOLVED` lets it pass until then.
"""

from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic.fields import FieldInfo

OPERATIONS_TABLE = "docs/operations.md, 'Settings and their bounds'"


def _unless_env_var(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A `dg.EnvVar` placeholder passes (Dagster checks the resolved value); anything else is
    checked. Recognised by the attribute every Dagster EnvVar has, since their int variant's
    class is private."""
    return value if hasattr(value, "env_var_name") else handler(value)


WHEN_RESOLVED = WrapValidator(_unless_env_var)
"""Last in a field's `Annotated[...]`: its bounds and checks apply to real values only."""


class SettingError(ValueError):
    """An environment variable holds a value its setting refuses."""


def check_variable(info: FieldInfo, variable: str, value: str) -> Any:
    """`value` as the field holds it (`"100"` for an int field is 100); `SettingError` naming
    `variable` where it breaks the field's type or bounds. A secret's value (a field with
    `repr=False`) is never shown."""
    kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        reasons = "; ".join(
            error["msg"] for error in exc.errors(include_url=False, include_input=False)
        )
        shown = f"={value!r}" if info.repr else " (a secret, not shown)"
        raise SettingError(
            f"{variable}{shown} is refused: {reasons}. Set {variable} within its bounds "
            f"({OPERATIONS_TABLE}) or unset it for the default, {info.default!r}."
        ) from None
