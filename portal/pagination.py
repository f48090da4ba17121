"""The page a list shows: `?page=` read once, the same way on every paginated list."""
from flask import request


def requested_page(total: int, page_size: int) -> tuple[int, int]:
    """(page, pages) for `total` rows: the asked page within 1..last.

    A page past the end shows the last page; a huge number never reaches the database as an OFFSET
    (SQLite refuses offsets past 64 bits with a 500).
    """
    pages = max(1, -(-total // page_size))
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages
