"""Rate tables: dated prices per service code and co-payment ratios (external values the bureau edits)."""
from flask import flash, request, url_for
from flask_login import current_user

from portal.auth.access import require, roles_required
from portal.billing import operations as ops
from portal.billing.forms import PriceForm, RatioForm
from portal.billing.models import CopayRatio, ServicePrice
from portal.billing.pricing import RateBook
from portal.billing.views import READERS, bp, is_decider
from portal.errors import Refused, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render


@bp.route("/rates", methods=["GET", "POST"])
@roles_required(*READERS)
def rates():
    price_form = PriceForm(prefix="p")
    ratio_form = RatioForm(prefix="r")
    if request.method == "POST":
        require(is_decider())
        which = request.form.get("table")
        try:
            if which == "price" and price_form.validate_on_submit():
                ops.add_price(current_user, code=price_form.code.data, item=price_form.item.data,
                              cms_level=price_form.cms_level.data or None, label=price_form.label.data,
                              price=price_form.price.data, effective_from=price_form.effective_from.data,
                              source=price_form.source.data)
            elif which == "ratio" and ratio_form.validate_on_submit():
                ops.add_ratio(current_user, welfare_status=ratio_form.welfare_status.data,
                              ratio=ratio_form.ratio.data.strip(), effective_from=ratio_form.effective_from.data,
                              source=ratio_form.source.data)
            else:
                raise Refused("")
        except (Refused, TransitionNotAllowed) as exc:
            db.session.rollback()
            if str(exc):
                form = price_form if which == "price" else ratio_form
                target = getattr(form, getattr(exc, "field", None) or "", None)
                (target.errors.append(str(exc)) if target is not None else flash(str(exc), "error"))
        else:
            db.session.commit()
            flash("已新增費率；原費率於新生效日前一日截止。", "success")
            return redirect_to(url_for("billing.rates"))
    prices = db.session.execute(db.select(ServicePrice).order_by(ServicePrice.item, ServicePrice.cms_level,
                                                                 ServicePrice.effective_from.desc())).scalars().all()
    ratios = db.session.execute(db.select(CopayRatio).order_by(CopayRatio.welfare_status,
                                                               CopayRatio.effective_from.desc())).scalars().all()
    return render("billing/rates.html", prices=prices, ratios=ratios, default_prices=RateBook.default_prices(),
                  default_ratios=RateBook.default_ratios(), price_form=price_form, ratio_form=ratio_form,
                  editable=is_decider(), status=422 if request.method == "POST" else 200)
