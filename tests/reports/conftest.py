from tests.reports.helpers import billing  # noqa: F401
