"""What a Breeze call that failed tells the user: which kind of failure, and what to do.

Each is raised with a message scrubbed of credentials; `BreezeAuthError` is a `SourceAuthError`, so
a batch stops at the first one (every further call would fail the same way).
"""

from sensequant_assets.sources.base import SourceAuthError


class BreezeError(RuntimeError):
    """A Breeze call failed in a way the user has to act on; the message says how."""


class BreezeAuthError(BreezeError, SourceAuthError):
    """Missing, wrong or expired credentials: retrying cannot help."""


class BreezeUnavailableError(BreezeError):
    """The API kept failing (rate limit, 5xx, no answer) after every allowed retry."""


class BreezeAnswerError(BreezeError):
    """The API answered something that is neither bars nor a retryable failure."""
