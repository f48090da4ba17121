"""Demo incidents for `flask seed-demo` (filled in below)."""
from portal.demo import demo_seeder


@demo_seeder(order=60)
def seed_incidents(ctx):
    return None
