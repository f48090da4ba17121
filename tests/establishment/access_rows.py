"""Access rows of the establishment area added after the foundation table (tests/access_table.py keeps
the area's first rows). Format: see tests/access_table.py."""

TABLE = """
# route                                 adm      off      chf      cm       cs       aud      acm      ahd      bst      bhd      gui      app      anon

## establishment plans: the bureau agrees to the service-contract draft (參、六)
POST establishment.contract_review      403      ok       ok       403      403      403      403      403      403      403      403      403      login
"""
