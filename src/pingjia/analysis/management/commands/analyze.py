from __future__ import annotations

import json
import sys
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand

from pingjia.analysis.services import result_json, texts_analyse

BATCH = 1000


class Command(BaseCommand):
    help = ('Analyse texts with the organisation\'s current models: reads JSON lines '
            '{"id": …, "text": …} on standard input and writes one JSON line per input: '
            '{"id", "sentiment": {"label", "score"}, "category": {"code", "confidence", '
            '"secondary"}, "aspects": [{"text", "polarity"}]}. A line that is not such an '
            'object gets {"id", "line", "error"} instead, and the others go on.')

    def handle(self, *args: Any, **options: Any) -> None:
        lines = iter(sys.stdin)
        number = 0
        while batch := list(islice(lines, BATCH)):
            items = []
            for line in batch:
                number += 1
                if line.strip():
                    items.append(_item(line, number))
            good = [item for item in items if "error" not in item]
            results = iter(texts_analyse([item["text"] for item in good]))
            for item in items:
                out = item if "error" in item else {"id": item["id"],
                                                    **result_json(next(results))}
                self.stdout.write(json.dumps(out, ensure_ascii=False))


def _item(line: str, number: int) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "line": number, "error": f"not JSON: {exc.msg}"}
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return {"id": data.get("id") if isinstance(data, dict) else None, "line": number,
                "error": 'each line must be an object with a "text" string'}
    return {"id": data.get("id"), "text": data["text"]}
