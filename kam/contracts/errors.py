from kam.core.errors import ApplicationError


class ContractError(ApplicationError):
    code = "invalid_contract"
    default_message = "Some values are not valid."


class TransitionRefusedError(ApplicationError):
    """A contract may not take this status now; the message says why."""

    code = "transition_refused"
    default_message = "The contract cannot take this status."


class ObligationError(ApplicationError):
    code = "invalid_obligation"
    default_message = "Some values are not valid."
