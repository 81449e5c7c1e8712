from kam.core.errors import ApplicationError


class SalesError(ApplicationError):
    code = "invalid_deal"


class MoveRefusedError(ApplicationError):
    """A deal may not enter a stage: a requirement fails, or the stage is not for this deal."""

    code = "move_refused"
    default_message = "The deal cannot move to this stage."
