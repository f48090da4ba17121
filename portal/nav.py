"""The main menu. Each area registers its entries when its views module is imported."""
from dataclasses import dataclass

from flask import request, url_for


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset
    order: int = 100


_items: list[NavItem] = []


def register_nav(label: str, endpoint: str, roles, order: int = 100) -> None:
    """Add a menu entry shown to `roles`."""
    if any(i.endpoint == endpoint for i in _items):
        return
    _items.append(NavItem(label, endpoint, frozenset(roles), order))


_menus = {}   # (role, script root, entries registered) -> the menu: the same on every page, built once


def nav_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    key = (user.role, request.script_root, len(_items))
    menu = _menus.get(key)
    if menu is None:
        menu = _menus[key] = tuple(
            {"label": i.label, "url": url_for(i.endpoint), "endpoint": i.endpoint}
            for i in sorted(_items, key=lambda i: (i.order, i.label)) if user.role in i.roles)
    return menu
