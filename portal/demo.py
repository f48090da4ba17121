"""Demo data: `flask seed-demo`. Each area registers a seeder that runs after the base data.

    @demo_seeder(order=30)
    def seed_cases(ctx): ...   # ctx.orgs, ctx.users, ctx.clients, ctx.areas
"""
from dataclasses import dataclass, field

_seeders = []


@dataclass
class DemoContext:
    orgs: dict = field(default_factory=dict)     # key -> Organisation
    users: dict = field(default_factory=dict)    # username -> User
    clients: list = field(default_factory=list)
    areas: dict = field(default_factory=dict)    # code -> ServiceArea
    today: object = None


def demo_seeder(order: int = 100):
    def decorator(fn):
        _seeders.append((order, fn))
        return fn
    return decorator


def registered_seeders():
    return [fn for _, fn in sorted(_seeders, key=lambda s: s[0])]
