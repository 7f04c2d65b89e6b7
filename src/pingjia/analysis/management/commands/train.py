from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pingjia.analysis.services import models_train


class Command(BaseCommand):
    help = ("Retrain the sentiment and category models from the organisation's labels "
            "(star-rated reviews teach sentiment, staff corrections teach categories), "
            'optionally with labelled examples from a file of {"text", "category"} or '
            '{"text", "sentiment"} JSON lines, and print the held-out figures next to the '
            "current model's on the same examples. The new model replaces the current one "
            "when it does at least as well (--activate if_better, the default), always, or "
            "never; every model is kept to roll back to.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", type=Path,
                            help="JSON lines of labelled examples")
        parser.add_argument("--activate", choices=["if_better", "always", "never"],
                            default="if_better")

    def handle(self, *args: Any, **options: Any) -> None:
        extra: list[dict[str, Any]] = []
        if options["source"]:
            extra = _read(options["source"])
        outcomes = models_train(actor=None, extra=extra, activate=options["activate"])
        for outcome in outcomes:
            if outcome.figures is None or outcome.model is None:
                self.stdout.write(f"{outcome.kind}: not trained ({outcome.message})")
                continue
            figures, current = outcome.figures, outcome.current
            line = (f"{outcome.kind}: {outcome.model.version} — held out "
                    f"{figures.n_held_out} of {figures.n_train + figures.n_held_out}: "
                    f"accuracy {figures.accuracy:.3f}, macro-F1 {figures.macro_f1:.3f}")
            if current is not None:
                line += (f"; current model on the same: accuracy {current.accuracy:.3f}, "
                         f"macro-F1 {current.macro_f1:.3f}")
            line += "; activated" if outcome.activated else "; kept inactive"
            self.stdout.write(line)
        if any(o.activated for o in outcomes):
            self.stdout.write("The worker analyses every review again with the models now in use.")


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}, line {number}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not (
                data.get("category") or data.get("sentiment")):
            raise CommandError(f'{path}, line {number}: needs "text" and "category" or '
                               '"sentiment"')
        examples.append(data)
    return examples
