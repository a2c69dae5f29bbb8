"""Reply templates: loaded from beside the flows, filled safely, malformed files named."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.reply_templates import TemplateError, fill, load_templates, values_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_templates_load_in_both_languages():
    templates = {t.key: t for t in load_templates(ROOT / "flows")}
    assert "apology_delay" in templates
    delay = templates["apology_delay"]
    assert "{customer.name}様" in delay.body_in("ja") and "Dear {customer.name}" in delay.body_in("en")


def test_fill_replaces_whitelisted_placeholders_once_and_nothing_else():
    values = values_for(customer_name="{agent.name} {0.__class__}", email="h@example.jp",
                        phone=None, ticket_id=7, subject="件名", agent_name="佐藤")
    text = fill("{customer.name}様 / #{ticket.id} / {agent.name} / {customer.__dict__} / {x}",
                values)
    assert text == "{agent.name} {0.__class__}様 / #7 / 佐藤 / {customer.__dict__} / {x}"


def test_unknown_placeholders_and_bad_shapes_are_refused_by_name(tmp_path):
    assert load_templates(tmp_path) == []
    (tmp_path / "templates.yaml").write_text(
        "templates:\n  t1:\n    title: T\n    body: {ja: '{customer.password}'}\n", encoding="utf-8")
    with pytest.raises(TemplateError,
                       match=r"templates.yaml:4:\d+: template 't1' \(ja\).*customer\.password"):
        load_templates(tmp_path)
    (tmp_path / "templates.yaml").write_text("templates:\n  t2:\n    title: T\n    body: {fr: x}\n")
    with pytest.raises(TemplateError, match=r"templates.yaml:4:\d+: template 't2': body must map languages"):
        load_templates(tmp_path)
    (tmp_path / "templates.yaml").write_text("templates: [1, 2]\n")
    with pytest.raises(TemplateError, match="must have a `templates:` mapping"):
        load_templates(tmp_path)
    (tmp_path / "templates.yaml").write_text(
        "templates:\n  t3:\n    title: T\n    body: B\n    bdy: x\nextra: on\n")
    with pytest.raises(TemplateError) as refused:
        load_templates(tmp_path)
    assert [str(p).split("templates.yaml:")[1] for p in refused.value.problems] == [
        "5:5: unknown key 'bdy' in template 't3'; the allowed keys are title, body",
        "6:1: unknown key 'extra' in the file; the allowed key is templates"]
    (tmp_path / "templates.yaml").write_text("templates: !!python/object/apply:os.system [id]\n")
    with pytest.raises(TemplateError, match="python"):
        load_templates(tmp_path)
