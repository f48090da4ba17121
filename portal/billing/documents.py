"""The figures of a declaration as every document shows them: the summary (附件2), the
per-month lists, the item list (清冊, Q15), the receipt (附件1) and the xlsx export.

A submitted declaration shows its stored version (what the bureau was asked to pay);
a draft is computed from the records now and printed with the 草稿 watermark.
"""
from dataclasses import dataclass
from datetime import date

from portal import clock
from portal.billing import pricing, rules
from portal.billing.models import WELFARE_LABELS, BillingProfile, Declaration, DeclarationLine
from portal.calendar import roc_compact_month, roc_slash_month, roc_year_month
from portal.clients.models import Client
from portal.extensions import db


@dataclass
class ClientGroup:
    client: Client
    lines: list
    amount: int
    copay: int

    @property
    def subsidy(self):
        return self.amount - self.copay


@dataclass
class DeclarationDoc:
    org: object
    service_month: date
    declaration: Declaration | None
    version_no: int
    draft: bool
    totals: dict
    months: list          # [(service month, totals dict)]
    lines: list
    groups: list          # item list grouped by month then client: [(month, [ClientGroup])]
    declared_month: date  # 申報年月

    @property
    def declared_month_text(self):
        return roc_year_month(self.declared_month)

    @property
    def fee_month_text(self):
        return roc_compact_month(self.service_month)

    @property
    def payable(self) -> int:
        """The receipt amount: 撥付總額 once approved, else 合計 (forms-and-pdfs.md §3)."""
        if self.declaration is not None and self.declaration.approved_amount is not None:
            return self.declaration.approved_amount
        return self.totals["total"]

    @property
    def has_adjustments(self):
        return any(getattr(l, "adjustment", False) for l in self.lines)

    def month_label(self, month):
        return roc_slash_month(month)


def _group(lines, known=None):
    """Group lines by month then client; `known` clients (read with a draft's records) are not read again."""
    clients = dict(known or {})
    missing = {l.client_id for l in lines} - clients.keys()
    if missing:
        clients.update((c.id, c) for c in db.session.execute(db.select(Client).where(Client.id.in_(missing))).scalars())
    by_month = {}
    for line in lines:
        by_month.setdefault(line.service_month, {}).setdefault(line.client_id, []).append(line)
    out = []
    for month in sorted(by_month):
        groups = [ClientGroup(clients[cid], ls, sum(l.amount for l in ls), sum(l.copay for l in ls))
                  for cid, ls in sorted(by_month[month].items(), key=lambda kv: (clients[kv[0]].name, kv[0]))]
        out.append((month, groups))
    return out


def declaration_doc(org, service_month: date, declaration: Declaration | None = None,
                    version_no: int | None = None) -> DeclarationDoc:
    """Collect a declaration's figures: a stored version, or (draft) the records priced now."""
    service_month = rules.month_start(service_month)
    stored = declaration is not None and (version_no or declaration.status != "draft") and declaration.version_no
    known = None   # a draft's clients, read with its records
    if stored:
        number = version_no or declaration.version_no
        version = next((v for v in declaration.versions if v.number == number), None)
        if version is None:
            raise LookupError(number)
        lines = list(db.session.execute(
            db.select(DeclarationLine).filter_by(declaration_id=declaration.id, version_no=number)
            .order_by(DeclarationLine.service_month, DeclarationLine.client_id, DeclarationLine.id)).scalars())
        totals = version.totals
        months = [(date.fromisoformat(m["month"]), m) for m in version.months]
        declared = version.submitted_at.astimezone(clock.TAIPEI).date()
        draft = declaration.status == "draft"
    else:
        known = {}
        lines = pricing.declaration_lines(org.id, service_month,
                                          declaration_id=declaration.id if declaration else None, clients=known)
        by_month = pricing.totals_by_month(lines)
        totals = by_month.pop(None).as_dict()
        months = [(m, t.as_dict()) for m, t in by_month.items()]
        number, declared, draft = 0, clock.today(), True
    if not months:
        months = [(service_month, rules.declaration_totals([]).as_dict())]
    return DeclarationDoc(org, service_month, declaration, number, draft, totals, months, lines,
                          _group(lines, known), declared)


def profile_for(org_id) -> BillingProfile | None:
    return db.session.execute(db.select(BillingProfile).filter_by(organisation_id=org_id)).scalar_one_or_none()


def welfare_label(status):
    return WELFARE_LABELS.get(status, status)


def days_text(days) -> str:
    """「3、4、5、10」 — the days of the month in the item list."""
    return "、".join(str(d) for d in sorted(days or ()))


def ratio_percent(ratio_text) -> str:
    from decimal import Decimal
    value = Decimal(ratio_text) * 100
    return f"{value.normalize():f}%"


def xlsx_export(doc: DeclarationDoc, *, full_ids: bool) -> bytes:
    """The declaration for the bureau's accountants: summary, per-month lists and the item list."""
    from portal.billing.xlsx import Bold, workbook
    t = doc.totals
    head = [[Bold("特約 長照服務提供者服務費用申報總表")],
            ["服務提供者", doc.org.name, "申報年月", doc.declared_month_text],
            ["本次費用月份", doc.fee_month_text, "狀態", "草稿" if doc.draft else doc.declaration.status_label],
            [],
            [Bold("服務項目類別"), "", "", Bold("申報費用 (單位：元)")]]
    rows = head + [["照顧組合", code, label, t["rows"][key]] for key, code, label in rules.CARE_ROWS]
    rows += [["照顧組合", "申報費用(含部分負擔費用) (1)", "", Bold(t["declared"])],
             ["僅部分負擔費用 (2)", "", "", Bold(t["copay"])],
             ["申請(補助)費用(1)-(2)", "", "", Bold(t["claim"])]]
    rows += [["非照顧組合", label, "", t["rows"][key]] for key, label in rules.NON_CARE_ROWS]
    rows += [["非照顧組合", "小計", "", t["non_care_subtotal"]], [Bold("合計"), "", "", Bold(t["total"])]]
    approved = doc.declaration.approved_amount if doc.declaration is not None else None
    rows += [[Bold("撥付總額"), "", "", Bold(approved) if approved is not None else "（待衛生局核定）"]]
    month_rows = []
    for month, m in doc.months:
        month_rows += [[Bold("各月份服務費用申報清單")], ["服務月份：", roc_year_month(month)],
                       [Bold("服務項目類別"), "", "", Bold("申報費用（單位：元）")]]
        month_rows += [["照顧組合", code, label, m["rows"][key]] for key, code, label in rules.CARE_ROWS]
        month_rows += [["照顧組合", "申報費用(含部分負擔費用) (1)", "", m["declared"]],
                       ["僅部分負擔費用 (2)", "", "", m["copay"]]]
        month_rows += [["非照顧組合", label, "", m["rows"][key]] for key, label in rules.NON_CARE_ROWS]
        month_rows += [["非照顧組合", "小計 (3)", "", m["non_care_subtotal"]],
                       [Bold(f"合計({roc_slash_month(month)}) (1)-(2)+(3)"), "", "", Bold(m["total"])], []]
    items = [[Bold(h) for h in ("服務月份", "個案姓名", "身分證字號", "福利身分別", "服務日期", "服務代碼", "服務項目",
                                "單價", "數量", "金額", "部分負擔", "申請補助金額", "備註")]]
    for month, groups in doc.groups:
        for group in groups:
            national_id = group.client.national_id if full_ids else group.client.masked_id
            for line in group.lines:
                items.append([roc_slash_month(month), group.client.name, national_id, welfare_label(line.welfare_status),
                              days_text(line.days), line.code, line.label, line.price, line.units, line.amount,
                              line.copay, line.amount - line.copay, "更正差額" if line.adjustment else ""])
            items.append(["", Bold(f"{group.client.name} 小計"), "", "", "", "", "", "", "", Bold(group.amount),
                          Bold(group.copay), Bold(group.subsidy), ""])
    items.append([Bold("總計"), "", "", "", "", "", "", "", "", Bold(sum(l.amount for l in doc.lines)),
                  Bold(sum(l.copay for l in doc.lines)), Bold(sum(l.amount - l.copay for l in doc.lines)), ""])
    return workbook([
        ("申報總表", rows, [22, 30, 30, 20]),
        ("各月份申報清單", month_rows, [22, 30, 30, 20]),
        ("服務費用項目清冊", items, [10, 12, 13, 14, 30, 9, 22, 8, 6, 10, 10, 12, 10]),
    ])


# --- the client's receipt (收據, seed 003 §十四(六)2) -------------------------------------------------

@dataclass
class ReceiptLine:
    """One charged item of a client's month: a service code at one price, ratio and standing."""

    code: str
    label: str
    item: str
    price: int
    ratio_text: str
    welfare_status: str
    note: str            # why part of it is self-paid, if any
    units: int = 0
    amount: int = 0      # price × units
    subsidy: int = 0     # claimed from the bureau
    copay: int = 0       # 部分負擔
    self_pay: int = 0    # 自費 (over the quota, or not subsidised)
    days: tuple = ()

    @property
    def charged(self) -> int:
        return self.copay + self.self_pay


@dataclass
class ClientReceipt:
    """What the home collects from one client for one month (開立載明收費項目之收據, §十四(六)2):
    the co-payments (floored, §十二(三)) and what the client pays in full (§九(一)5–6)."""

    org: object
    client: Client
    month: date
    lines: list
    draft: bool

    @property
    def number(self) -> str:
        return f"{self.org.id:03d}-{roc_compact_month(self.month)}-{self.client.id:05d}"

    @property
    def amount(self):
        return sum(l.amount for l in self.lines)

    @property
    def subsidy(self):
        return sum(l.subsidy for l in self.lines)

    @property
    def copay(self):
        return sum(l.copay for l in self.lines)

    @property
    def self_pay(self):
        return sum(l.self_pay for l in self.lines)

    @property
    def charged(self):
        return self.copay + self.self_pay


def client_receipts(org, month: date, client_id: int | None = None, *, today: date | None = None) -> list:
    """The month's receipts of a home's clients (one per client with an attended day), priced from the
    records as the declaration prices them (same rates, quota and rounding); a month not yet over is
    a draft."""
    month = rules.month_start(month)
    today = today or clock.today()
    priced = pricing.price_month(org.id, month, client_id=client_id)
    by_client: dict = {}
    for p, info in priced:
        u = p.unit
        if not u.subsidised:
            note = info.reason or "不予補助，全額自付"
        elif p.self_pay:
            note = "超過核定長照服務額度部分自付"
        else:
            note = ""
        key = (u.code, u.item, u.price, str(rules.as_ratio(u.ratio)), u.welfare_status, note)
        lines = by_client.setdefault(u.client_id, {})
        line = lines.get(key)
        if line is None:
            line = lines[key] = ReceiptLine(u.code, info.label, u.item, u.price, key[3], u.welfare_status, note)
        line.units += 1
        line.amount += u.price
        line.subsidy += p.subsidy
        line.copay += p.copay
        line.self_pay += p.self_pay
        line.days += (u.day.day,)
    clients = {c.id: c for c in db.session.execute(
        db.select(Client).where(Client.id.in_(by_client))).scalars()} if by_client else {}
    draft = today < rules.next_month(month)
    receipts = []
    for cid, lines in by_client.items():
        ordered = sorted(lines.values(), key=lambda l: (rules.ITEM_ORDER.get(l.item, 9), l.code, l.note))
        receipts.append(ClientReceipt(org, clients[cid], month, ordered, draft))
    return sorted(receipts, key=lambda r: (r.client.name, r.client.id))
