"""Settings: each area defines its settings with a default and the spec section that needs it.

    CASELOAD = define_setting("cases.caseload_per_manager", 150, kind="int",
                              label="個管師基本案量", spec="case-management.md §4.1")
    get_setting("cases.caseload_per_manager")

The bureau's value (table `settings`) wins over the default. Values are read
per request; rules receive them as arguments.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask import g, has_app_context

SETTING_KINDS = ("int", "decimal", "str", "bool", "json", "text")


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: object
    kind: str
    label: str
    spec: str
    help: str = ""
    area: str = ""

    def coerce(self, raw):
        """Turn a stored or typed value into this setting's type; raise ValueError with a zh-TW message."""
        if raw is None:
            return self.default
        try:
            if self.kind == "int":
                return int(str(raw).strip())
            if self.kind == "decimal":
                return Decimal(str(raw).strip())
            if self.kind == "bool":
                return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "是", "on")
            if self.kind == "json":
                if isinstance(raw, str):
                    import json
                    return json.loads(raw)
                return raw
            return str(raw)
        except Exception:
            raise ValueError(f"「{self.label}」的值格式不正確") from None

    def to_storage(self, value):
        if self.kind == "decimal":
            return str(value)
        return value


_definitions: dict[str, SettingDef] = {}


def define_setting(key, default, *, kind, label, spec, help="", area=None) -> SettingDef:
    assert kind in SETTING_KINDS, kind
    definition = SettingDef(key, default, kind, label, spec, help, area or key.split(".")[0])
    _definitions[key] = definition
    return definition


def all_settings() -> list[SettingDef]:
    return sorted(_definitions.values(), key=lambda d: (d.area, d.key))


def setting_definition(key) -> SettingDef:
    return _definitions[key]


_MISSING = object()


def get_setting(key):
    """Return the bureau's value of a setting, or its default."""
    definition = _definitions[key]
    if not has_app_context():
        return definition.default
    from portal.table_versions import note_read
    note_read("settings")
    if "_settings_rows" not in g:  # every stored setting in one query (pages read several), kept by the worker
        from portal import clock
        from portal.kept import kept
        g._settings_rows = kept("settings", "", _load_setting_rows, now=clock.now(), here=True, from_session=False)
    cache = g.setdefault("_settings_cache", {})
    if key not in cache:
        value = g._settings_rows.get(key, _MISSING)
        cache[key] = definition.default if value is _MISSING else definition.coerce(value)
    return cache[key]


def _load_setting_rows():
    from portal.extensions import db
    from portal.settings.models import Setting
    return {row.key: row.value for row in db.session.execute(db.select(Setting)).scalars()}


def forget_cached_settings():
    if has_app_context():
        g.pop("_settings_cache", None)
        g.pop("_settings_rows", None)
