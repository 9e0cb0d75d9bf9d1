"""An error an earlier run already alerted on is recognised through Dagster's serialized chain."""

from types import SimpleNamespace

from sensequant_assets.sources.base import already_reported


def error(cls_name: str, cause: object = None, context: object = None) -> SimpleNamespace:
    """The shape of Dagster's serialized error info: a class name, a cause and a context."""
    return SimpleNamespace(cls_name=cls_name, cause=cause, context=context)


def test_an_already_reported_error_is_found_as_the_error_its_cause_or_its_context() -> None:
    assert already_reported(error("AlreadyReportedAuthError"))
    assert already_reported(
        error("DagsterExecutionStepExecutionError", error("AlreadyReportedAuthError"))
    )
    assert already_reported(error("Failure", context=error("AlreadyReportedAuthError")))
    assert not already_reported(error("Failure", error("SourceAuthError")))
    assert not already_reported(None)
