"""Errors that operations raise and views turn into clear zh-TW messages."""


class PortalError(Exception):
    """A refusal a person must read; `str(e)` is the zh-TW message."""


class TransitionNotAllowed(PortalError):
    """The record is not in a state that allows this action (e.g. decided already)."""


class StaleEdit(PortalError):
    """Someone else saved this record after the form was opened."""

    def __init__(self, message="這筆資料已被其他人更新，請重新載入後再修改；您輸入的內容仍保留在畫面上。"):
        super().__init__(message)


class Refused(PortalError):
    """A rule refused the input; carries the field it concerns when there is one."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field
