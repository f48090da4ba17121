"""The page a list shows: `?page=` read once, the same way on every paginated list."""
from flask import request


def requested_page(total: int, page_size: int) -> tuple[int, int]:
    """(page, pages) for `total` rows: the asked page within 1..last.

    A page past the end shows the last page; a huge number never reaches the database as an OFFSET
    (SQLite refuses offsets past 64 bits with a 500).
    """
    pages = max(1, -(-total // page_size))
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages


def read_page(rows_at, count, page_size: int) -> tuple[list, int, int, int]:
    """(rows, total, page, pages) of the asked page: `rows_at(offset)` reads a page's rows, `count()` the total.

    A first page shorter than a page is every row there is: its length is the total, and the count query is
    not run (issue 10: a search usually finds fewer than a page, and counting cost as much as finding).
    """
    first = request.args.get("page", 1, type=int) <= 1
    if first:
        rows = rows_at(0)
        if len(rows) < page_size:
            return rows, len(rows), 1, 1
    total = count()
    page, pages = requested_page(total, page_size)
    if not first:
        rows = rows_at((page - 1) * page_size)
    return rows, total, page, pages
