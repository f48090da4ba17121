"""record_url (portal/links.py): the same links as url_for, built once per endpoint and request."""
from flask import url_for

from portal.links import record_url


def test_record_url_gives_url_fors_link_for_every_id(app):
    with app.test_request_context("/", base_url="http://portal.example/ltc"):
        for endpoint, param in (("cases.show", "case_id"), ("clients.show", "client_id"),
                                ("cases.dispatch", "dispatch_id"), ("incidents.show", "incident_id")):
            link = record_url(endpoint, param)
            for ident in (1, 7, 42, 8642097531, 2**40):
                assert link(ident) == url_for(endpoint, **{param: ident})
            assert record_url(endpoint, param) is link           # built once for the request
        assert url_for("cases.show", case_id=3).startswith("/ltc/")   # under a script root too
        assert record_url("cases.show", "case_id")(3) == "/ltc/cases/3"


def test_record_url_keeps_the_other_values(app):
    with app.test_request_context("/"):
        link = record_url("cases.show", "case_id", tab="visits")
        assert link(5) == url_for("cases.show", case_id=5, tab="visits")
