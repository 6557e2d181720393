"""Typed errors whose message is safe to show to a user as one line."""


class BankassistError(Exception):
    """Base class: `str(error)` is a complete, user-facing sentence."""


class InvalidInputError(BankassistError):
    """The user's input cannot be processed (empty, too long, malformed)."""


class UnknownCustomerError(BankassistError):
    """The requested customer does not exist."""


class ModelFilesError(BankassistError):
    """Model weights or a package that carries them are missing or unreadable."""


class ModelServerError(BankassistError):
    """The OpenAI-compatible model server is unreachable or misbehaving."""


class TurnTimeoutError(ModelServerError):
    """One step of a turn ran past BANKASSIST_NODE_TIMEOUT_S and was stopped."""


class ConfigurationError(BankassistError):
    """A setting is invalid or unsupported."""


class StoreError(BankassistError):
    """A database or vector store cannot be used."""


class AuthenticationError(BankassistError):
    """No valid credentials (a missing, unknown or revoked API key; a wrong password)."""


class PermissionDeniedError(BankassistError):
    """Valid credentials, but the user's role may not do this."""


class NotFoundError(BankassistError):
    """The thing asked for does not exist, or belongs to someone else."""


class CaseClosedError(BankassistError):
    """A case was asked to close that is closed already."""


class NothingToConfirmError(BankassistError):
    """A decision arrived but no action waits for one (it was done, cancelled, expired or never proposed)."""


def first_line(exc: BaseException) -> str:
    """Shorten a library error to its first line for a one-line user message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
