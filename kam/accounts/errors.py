from kam.core.errors import ApplicationError


class AccountError(ApplicationError):
    code = "invalid_account"
