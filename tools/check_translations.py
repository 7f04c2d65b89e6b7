"""Check Pingjia's translation catalogues: src/pingjia/locale/<language>/LC_MESSAGES/django.po.

Simplified Chinese is the default interface language and Traditional Chinese is offered beside
it, so an untranslated or fuzzy entry in either would put English, or a guessed translation, in
the middle of a Chinese page: both must be complete, with the same %(name)s placeholders as the
English source. English is the source language, so its msgstrs may stay empty. Django reads only
the compiled .mo files, so each committed .mo must hold exactly what its .po says; the entries are
compared (with the headers gettext reads), not the bytes, so a .mo from msgfmt passes as well as
one from polib.

    python tools/check_translations.py               # the check: needs polib only
    python tools/check_translations.py --fill-hant   # zh_Hant from zh_Hans (needs opencc)
    python tools/check_translations.py --compile     # write the .mo files, then check

`make messages` runs makemessages, then this script with --fill-hant --compile.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped, unused-ignore]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "pingjia" / "locale"
LANGUAGES = ("zh_Hans", "zh_Hant", "en")
COMPLETE = ("zh_Hans", "zh_Hant")  # must translate every entry
# Each language's own name, as settings.LANGUAGES writes it: OpenCC must leave these alone.
LANGUAGE_NAMES = re.compile("(简体中文|English|繁體中文)")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
RUNTIME_HEADERS = ("Content-Type", "Plural-Forms")  # the headers gettext reads from a .mo

Key = tuple[str, str, str]  # msgctxt, msgid, msgid_plural


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def load(language: str) -> Any:
    path = po_path(language)
    if not path.is_file():  # polib would read a missing path as an empty catalogue
        sys.exit(f"{path} is missing: run `make messages`.")
    return polib.pofile(str(path), wrapwidth=79)


def key(entry: Any) -> Key:
    return entry.msgctxt or "", entry.msgid, entry.msgid_plural or ""


def contents(catalogue: Any) -> tuple[dict[str, str], dict[Key, object]]:
    """The header and the translations that a .mo compiled from `catalogue` holds."""
    translations: dict[Key, object] = {
        key(e): tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
        for e in catalogue.translated_entries()
    }
    return {h: catalogue.metadata.get(h, "") for h in RUNTIME_HEADERS}, translations


def placeholders(texts: Iterable[str]) -> set[str]:
    return {p for text in texts for p in PLACEHOLDER.findall(text)}


def problems(language: str) -> list[str]:
    po = load(language)
    found: list[str] = []
    if language in COMPLETE:
        found += [f"{language}: untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
        found += [f"{language}: fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
        found += [f"{language}: placeholders differ: {e.msgid!r}" for e in po.translated_entries()
                  if placeholders([e.msgid, e.msgid_plural or ""])
                  != placeholders([e.msgstr, *e.msgstr_plural.values()])]
    mo = po_path(language).with_suffix(".mo")
    if not mo.is_file():
        found.append(f"{language}: {mo} is missing: run with --compile.")
    elif contents(polib.mofile(str(mo))) != contents(po):
        found.append(f"{language}: {mo} does not match its .po: run with --compile.")
    return found


def to_hant(text: str, convert: Callable[[str], str]) -> str:
    parts = LANGUAGE_NAMES.split(text)  # odd indices are the language names
    return "".join(part if i % 2 else convert(part) for i, part in enumerate(parts))


def fill_hant() -> None:
    """Rewrite every zh_Hant msgstr (and fuzzy flag) from zh_Hans with OpenCC's s2t."""
    try:
        import opencc  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        sys.exit("--fill-hant needs OpenCC: pip install opencc to regenerate zh_Hant.")
    convert: Callable[[str], str] = opencc.OpenCC("s2t").convert
    hans_po = load("zh_Hans")
    hans = {key(e): e for e in hans_po if not e.obsolete}
    hant = load("zh_Hant")
    for entry in hant:
        source = hans.get(key(entry), polib.POEntry(msgid=entry.msgid))  # absent: untranslated
        entry.msgstr = to_hant(source.msgstr, convert)
        entry.msgstr_plural = {i: to_hant(s, convert) for i, s in source.msgstr_plural.items()}
        entry.flags = list(source.flags)
        entry.previous_msgctxt = source.previous_msgctxt
        entry.previous_msgid = source.previous_msgid
        entry.previous_msgid_plural = source.previous_msgid_plural
    hant.header = ("Traditional Chinese (zh_Hant) translation of Pingjia, generated from zh_Hans\n"
                   "by tools/check_translations.py --fill-hant: edit zh_Hans, not this file.")
    hant.metadata = {**hans_po.metadata, "Language": "zh_Hant",
                     "Language-Team": "Traditional Chinese"}
    hant.metadata_is_fuzzy = False
    hant.save()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the translation catalogues.")
    parser.add_argument("--fill-hant", action="store_true",
                        help="rewrite zh_Hant from zh_Hans with OpenCC (needs opencc)")
    parser.add_argument("--compile", action="store_true",
                        help="write the .mo files from the .po files")
    args = parser.parse_args(argv)
    if args.fill_hant:
        fill_hant()
    if args.compile:
        for language in LANGUAGES:
            load(language).save_as_mofile(str(po_path(language).with_suffix(".mo")))
    found = [problem for language in LANGUAGES for problem in problems(language)]
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(f"{len(found)} translation problem(s).", file=sys.stderr)
        return 1
    counts = ", ".join(f"{language} {len(load(language).translated_entries())}"
                       for language in COMPLETE)
    print(f"OK: translations complete ({counts} strings); {', '.join(LANGUAGES)} .mo up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
