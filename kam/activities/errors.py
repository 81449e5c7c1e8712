from kam.core.errors import ApplicationError


class ActivityError(ApplicationError):
    code = "invalid_activity"
