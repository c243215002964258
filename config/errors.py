class ApplicationError(Exception):
    """A domain rule was broken by the caller's input: the API answers 400 (or a subclass's
    ``status_code``), views show it."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
