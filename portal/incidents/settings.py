"""Incident settings that the spec marks as interpretation (shown and editable at 系統設定)."""
from portal.settings.registry import define_setting

NARRATIVE_MIN_CHARS = define_setting(
    "incidents.narrative_min_chars", 20, kind="int", label="異常事件：事發經過最少字數",
    spec="incidents.md §8 §七 [interpretation]", help="通報單「事發經過說明」至少應寫的字數。")
