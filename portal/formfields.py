"""Form fields shared by every area."""
from datetime import date

from wtforms import StringField
from wtforms.validators import StopValidation

from portal.calendar import parse_roc_date, roc_numeric


class ROCDateField(StringField):
    """A date typed as 114/1/15, 114-01-15, 114年1月15日 or ISO 2025-01-15; shown as 114/01/15."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = kwargs.pop("render_kw", {}) or {}
        render_kw.setdefault("placeholder", "例：114/1/15")
        render_kw.setdefault("inputmode", "numeric")
        render_kw.setdefault("autocomplete", "off")
        render_kw.setdefault("class", "date")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, date):
            return roc_numeric(self.data)
        return ""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_roc_date(valuelist[0])
            except ValueError as exc:
                self.data = None
                raise ValueError(str(exc)) from None

    def pre_validate(self, form):
        # A date that did not parse keeps its own message; DataRequired would replace it.
        if self.process_errors:
            raise StopValidation()
