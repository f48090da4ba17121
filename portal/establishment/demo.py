"""Demo data for the establishment plan (filled in by `seed_establishment`)."""
from portal.demo import demo_seeder


@demo_seeder(order=70)
def seed_establishment(ctx):
    from portal.establishment.demo_content import seed
    seed(ctx)
