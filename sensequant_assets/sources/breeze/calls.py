"""How one logical Breeze call is made: through the installation's call budget (`limiter`), under
a timeout, its answer classified, and retried only when waiting can help, with bounded
exponential back-off. The counters each call leaves (`Stats`) are what the UI shows per partition.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from sensequant_assets.sources.breeze.answer_kinds import Answer, classify_exception
from sensequant_assets.sources.breeze.client import CallTimeoutError, call_with_timeout
from sensequant_assets.sources.breeze.errors import (
    BreezeAnswerError,
    BreezeError,
    BreezeUnavailableError,
)
from sensequant_assets.sources.breeze.limiter import CallKind, RateLimiter

Stats = dict[str, float | int | str]


def new_stats() -> Stats:
    return {"api_calls": 0, "cache_hits": 0, "retries": 0, "limiter_wait_seconds": 0.0}


@dataclass(frozen=True)
class CallPolicy:
    """The budget every call passes and how long and how often one is tried."""

    limiter: RateLimiter
    timeout_seconds: float
    max_retries: int
    backoff_seconds: float
    max_backoff_seconds: float

    def call(
        self,
        what: str,
        call: Callable[[], object],
        classify: Callable[[object], Answer],
        stats: Stats,
        counter: str,
        scrub: Callable[[str], str],
        timeout: float | None = None,
        kind: CallKind = "daily",
    ) -> Answer:
        """One logical call: limiter, timeout, classification, bounded retries. Each retry is
        logged with `scrub` applied, since an answer's text may echo credentials."""
        attempt = 0
        while True:
            # A spent daily budget raises here, before any call: the batch stops, no retry loop.
            with self.limiter.slot(kind) as waited:
                stats["limiter_wait_seconds"] = round(
                    float(stats["limiter_wait_seconds"]) + waited, 3
                )
                stats[counter] = int(stats.get(counter, 0)) + 1
                try:
                    answer = classify(call_with_timeout(timeout or self.timeout_seconds, call))
                except CallTimeoutError as exc:
                    answer = Answer("transient", str(exc))
                except Exception as exc:
                    answer = classify_exception(exc)
            if not answer.retryable or attempt >= self.max_retries:
                return answer
            attempt += 1
            delay = min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds)
            stats["retries"] = int(stats["retries"]) + 1
            dg.get_dagster_logger().warning(
                scrub(
                    f"{what}: {answer.kind} ({answer.message}); "
                    f"retry {attempt}/{self.max_retries} in {delay:g} s"
                )
            )
            time.sleep(delay)

    def failure(self, answer: Answer, what: str, scrub: Callable[[str], str]) -> BreezeError:
        """The exception for a final answer that is neither usable nor a refused credential,
        scrubbed and without the client's chain."""
        if answer.kind in ("rate_limited", "transient"):
            return BreezeUnavailableError(
                scrub(
                    f"{what}: still {answer.kind} after {self.max_retries} retries "
                    f"({answer.message}); the partition is unchanged, re-run it later."
                )
            )
        return BreezeAnswerError(scrub(f"{what}: {answer.kind} ({answer.message})"))
