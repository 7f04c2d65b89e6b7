"""The default channels (issue: collect), created once on a new database."""

from typing import Any

from django.db import migrations

CHANNELS = [
    # code, name, kind, import format
    ("taobao", "淘宝", "platform", "taobao"),
    ("tmall", "天猫", "platform", "tmall"),
    ("jd", "京东", "platform", "jd"),
    ("meituan", "美团", "platform", "meituan"),
    ("dianping", "大众点评", "platform", "meituan"),
    ("eleme", "饿了么", "platform", "eleme"),
    ("douyin", "抖音", "platform", "douyin"),
    ("pinduoduo", "拼多多", "platform", "generic"),
    ("app", "自有App", "own", "generic"),
    ("web", "官网", "own", "generic"),
    ("qr", "门店二维码", "own", "generic"),
    ("invite", "邀评链接", "own", "generic"),
    ("phone", "电话", "offline", "generic"),
    ("email", "邮件", "offline", "generic"),
    ("letter", "信函", "offline", "generic"),
    ("onsite", "现场", "offline", "generic"),
    ("service", "客服记录", "offline", "generic"),
]


def create(apps: Any, schema_editor: Any) -> None:
    Channel = apps.get_model("reviews", "Channel")
    for order, (code, name, kind, import_format) in enumerate(CHANNELS, start=1):
        Channel.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "import_format": import_format,
            "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
