"""The one exception family through which an agent run ends early.

The loop catches :class:`AgentError` and shows ``user_message`` (one clear sentence or two, never
a traceback and never a secret). The model layer raises the model-related subclasses after its
retry table (``retry.py``) has decided that retrying is pointless or the deadline is spent.
"""

from __future__ import annotations


class AgentError(Exception):
    """Base of every error the agent loop reports to the user instead of crashing."""

    default_message = "The agent stopped because of an error."

    def __init__(self, user_message: str | None = None, *, detail: str | None = None) -> None:
        self.user_message = user_message or self.default_message
        # ``detail`` is for the log (already scrubbed of secrets by whoever built it).
        self.detail = detail
        super().__init__(self.user_message)


class ModelConfigError(AgentError):
    """The model cannot be used as configured: bad key, unknown model, or none configured.

    Retrying cannot help; the user has to change a setting.
    """

    default_message = "The model is not configured correctly."


class ModelUnavailable(AgentError):
    """The provider kept failing (rate limits, outages, timeouts) until the deadline ran out."""

    default_message = "The model did not answer in time; please try again later."


class ModelRequestError(AgentError):
    """The provider refused this particular request (bad request, content policy, ...).

    Not retried: the same request would be refused again.
    """

    default_message = "The model provider refused the request."


class ContextWindowExceeded(AgentError):
    """The conversation no longer fits the model's context window.

    The caller compacts the conversation (when memory exists) and retries once.
    """

    default_message = "The conversation is too long for the model's context window."


class IncompleteReply(AgentError):
    """The reply stream stopped before the model said it was finished.

    ``partial_text`` is what had arrived, for display only: it must never be stored as a
    complete assistant message.
    """

    default_message = "The model's reply was cut off before it finished."

    def __init__(
        self, user_message: str | None = None, *, partial_text: str = "", detail: str | None = None
    ) -> None:
        super().__init__(user_message, detail=detail)
        self.partial_text = partial_text


class StepLimitReached(AgentError):
    """The run used its allowed number of agent steps without finishing."""

    default_message = "The agent reached its step limit before finishing."


class AgentCancelled(AgentError):
    """The user (or the editor) cancelled the run."""

    default_message = "Cancelled."
