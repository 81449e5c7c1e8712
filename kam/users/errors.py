from kam.core.errors import ApplicationError


class UserError(ApplicationError):
    code = "invalid_user"
