"""Aspects: the concrete issues a review names, as short phrases a manager would write on the
whiteboard (出餐慢, 镜子暗, 分量少, 态度差), each with its polarity.

Extraction is lexicon-driven (`aspect_lexicon`): an opinion predicate found among jieba's tokens is
joined to the nearest preceding target noun of the same clause. No model, so it works on a fresh
install and runs at tens of thousands of reviews a second.

Canonical form of a phrase, so that the same issue is spelled the same way every time:
- target + predicate, in Simplified Chinese, without spaces (服務員態度很差 → 态度差);
- degree words and particles are dropped (太慢了 / 很慢 / 慢死了 → 慢; 镜子太暗 → 镜子暗);
- variants become the lexicon's canonical predicate (差劲 → 差, 腐烂 → 烂, 不好吃 → 难吃);
- an excess degree on a dimension adjective is kept as 偏 (尺码太大 → 尺码偏大), since without it
  the phrase would not be a complaint;
- a price's level is dear or cheap (价格太高 → 价格贵), as customers also say it;
- negated praise is a complaint (不新鲜, 不耐用, 不好 → 差); a negated complaint is praise and keeps
  its negation (速度不慢: positive);
- a failed expectation keeps its negation as written (空调不制冷, 没收到), a missing item becomes
  无 + item (没有发票 → 无发票);
- sameness denied of a target is 不符 (颜色和图片不一样 → 图片不符); undenied, or of nothing
  named, it is no issue (一样的价格, 感觉不一样);
- a predicate too general to be an issue on its own (差, 一般, 失望) needs a target; a specific one
  may stand alone (难吃, 漏, 假), or takes its implied target (太贵了 → 价格贵).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple, cast

import rjieba

from pingjia.analysis.text import aspect_lexicon as lexicon
from pingjia.analysis.text.normalise import normalise

Polarity = Literal["negative", "neutral", "positive"]
_PredicateKind = Literal["negative", "neutral", "positive", "dimension", "action"]


@dataclass(frozen=True)
class Aspect:
    text: str
    polarity: Polarity


class AspectParts(NamedTuple):
    """A canonical phrase taken apart: what it is about, and what is said of it. (A named tuple:
    made a few times per review on the hot path, where a frozen dataclass costs more.)"""

    target: str
    predicate: str
    polarity: Polarity

    @property
    def text(self) -> str:
        return self.target + self.predicate


@dataclass(frozen=True, slots=True)
class _Predicate:
    canonical: str
    kind: _PredicateKind
    excess: bool = False  # an excess degree was glued on by the segmenter (太大, 偏小)


def _negate(predicate: _Predicate, negation: str) -> _Predicate | None:
    """The predicate under 不/没: praise turns into a complaint and a complaint into praise."""
    if predicate.kind == "positive":
        canonical = lexicon.NEGATED_POSITIVE.get(predicate.canonical, "不" + predicate.canonical)
        return _Predicate(canonical, "negative")
    if predicate.kind == "negative":
        if "不" in predicate.canonical[1:]:
            return None  # 没 打不开: a denied failure to do something says nothing clear
        return _Predicate(("没" if negation in ("没", "无") else "不") + predicate.canonical,
                          "positive")
    if predicate.kind == "action":
        return _Predicate(negation + predicate.canonical, "negative")
    # 不大, 不一般: too ambiguous to call either way.
    return None


def _base_predicates() -> dict[str, _Predicate]:
    base: dict[str, _Predicate] = {}
    # Later tables win: a dimension adjective's polarity depends on its target, so 少 and 薄 are
    # judged as dimensions rather than as fixed complaints.
    for surface, canonical in lexicon.NEUTRAL.items():
        base[surface] = _Predicate(canonical, "neutral")
    for surface, canonical in lexicon.POSITIVE.items():
        base[surface] = _Predicate(canonical, "positive")
    for surface, canonical in lexicon.NEGATIVE.items():
        base[surface] = _Predicate(canonical, "negative")
    for adjective in lexicon.DIMENSION:
        base[adjective] = _Predicate(adjective, "dimension")
    return base


def _predicate_table() -> dict[str, _Predicate]:
    """Every token form jieba may produce for a predicate, precomputed so that the scan is one
    dictionary lookup per token (太慢, 慢死了, 不新鲜, 没发货)."""
    base = _base_predicates()
    table = dict(base)
    glued_suffixes = ("了", "死了")  # jieba rarely glues more than this onto 太慢
    for surface, predicate in base.items():
        for suffix in lexicon.PREDICATE_SUFFIXES:
            table.setdefault(surface + suffix, predicate)
        for prefix in lexicon.DEGREE_PREFIXES:
            glued = _Predicate(predicate.canonical, predicate.kind,
                               prefix in lexicon.EXCESS_DEGREE)
            table.setdefault(prefix + surface, glued)
            for suffix in glued_suffixes:
                table.setdefault(prefix + surface + suffix, glued)
        for negation in ("不", "没"):
            negated = _negate(predicate, negation)
            if negated is not None:
                table.setdefault(negation + surface, negated)
                table.setdefault(negation + surface + "了", negated)
    return table


def _glued_negated_actions() -> dict[str, tuple[str, str]]:
    """没送, 不发货, 无法使用: jieba keeps the negation on the verb; the scan reads them as the
    two words they are."""
    glued = {}
    for action in lexicon.EXPECTED_ACTIONS:
        for negation in ("不", "没", "没有", "未", "无法", "不能", "不会"):
            glued[negation + action] = (lexicon.NEGATIONS[negation], action)
    return glued


_PREDICATES: Final = _predicate_table()
_ACTIONS: Final = {action: _Predicate(action, "action") for action in lexicon.EXPECTED_ACTIONS}
_GLUED_NEGATED_ACTIONS: Final = _glued_negated_actions()

# Potential complements that say something cannot be done (打不开, 看不懂, 用不了) are failures;
# these look the same but are not.
_NOT_A_FAILURE: Final = frozenset({
    "差不多", "了不起", "对不起", "怪不得", "来不及", "舍不得", "说不定", "忍不住", "不得不",
    "用不着", "免不了", "少不了", "离不开", "数不清", "说不上", "看不出", "要不然", "要不是",
    "大不了", "恨不得", "巴不得", "禁不住", "不得了", "差不离", "信不过", "算不上", "谈不上",
    "难道", "难怪", "难得", "难免", "难题", "难度", "难点", "难以", "难民", "难过", "难关",
})

# Verbs that supply an item: "耳机没送" is the missing earphones, not a failed action.
_SUPPLY_VERBS: Final = lexicon.SUPPLY_VERBS

# Tokens the segmenter splits where the meaning needs them together (没收 + 到货 = 没收到货).
_SPLIT_NEGATIONS: Final = {"没收": ("没", "收到")}

_LEADING_COUNT: Final = frozenset("一二两三四五六七八九十几半每第")


# jieba's part-of-speech tags of things: nouns, names, verbal and adjectival nouns, abbreviations.
_NOUN_TAGS: Final = frozenset({"n", "ng", "nr", "nrt", "nrfg", "ns", "nt", "nz", "vn", "an", "j",
                               "eng"})
_KNOWN_TARGETS: Final = (frozenset(lexicon.TARGET_CLASSES) | lexicon.EXPECTED_ITEMS
                         | lexicon.VERBAL_TARGETS | lexicon.BAD_QUANTITY_TARGETS)


def _is_target(token: str) -> bool:
    """Whether a word can be what an opinion is about. Decided once per distinct word (the answer
    is cached), so it may afford jieba's dictionary part of speech."""
    if token in lexicon.NON_TARGETS or not token.isalnum() or token.isdigit():
        return False
    if token in _KNOWN_TARGETS:
        return True
    if token.isascii():
        # Latin words (wifi, app, ipad) are targets; numbers and codes are not.
        return len(token) > 1 and token.isalpha()
    if token[0] in _LEADING_COUNT:
        return False  # 一个月, 两次, 半天: quantities and times, not things
    # One noun to the tagger: a token it cuts again (出量 → 出 量, 时儿 → 时 儿) is no word
    # it knows, whatever its last piece is.
    tags = rjieba.tag(token)
    return len(tags) == 1 and tags[0][1] in _NOUN_TAGS


class _ClauseScanner:
    """Walks one review's tokens once, emitting (target, predicate, polarity) triples."""

    __slots__ = ("excess", "found", "item", "negation", "target")

    def __init__(self) -> None:
        self.found: list[AspectParts] = []
        self._new_clause()

    def _new_clause(self) -> None:
        self.target = ""
        self._reset_modifiers()

    def _reset_modifiers(self) -> None:
        self.negation = ""
        self.excess = False
        self.item = ""

    def end_clause(self) -> None:
        if self.item and self.negation:  # 耳机也没有。
            self.found.append(AspectParts("", "无" + self.item, "negative"))
        self._new_clause()

    def on_target(self, token: str, head: str = "") -> None:
        """A thing named; `head`, the last word of a compound (手机 壳), decides what it is."""
        if token in lexicon.ATTRIBUTE_WORDS and self.target:
            return  # 快递 速度 慢: the noun carries the meaning
        # Either word of a compound may be the unwanted one (没有 坏果, 无 硅油 洗发水).
        words = (token, head, token[: len(token) - len(head)]) if head else (token,)
        if self.negation in ("没", "无") and not lexicon.ABSENCE_IS_GOOD.isdisjoint(words):
            self.found.append(AspectParts("", "没" + token, "positive"))  # 没有噪音
        elif self.negation in ("没", "无"):
            # 没有发票, 没有蓝牙: in a review, a thing named as absent is missing.
            self.found.append(AspectParts("", "无" + token, "negative"))
        self.target = head or token
        self._reset_modifiers()

    def on_negation(self, form: str) -> None:
        self.negation = form
        if self.target in lexicon.EXPECTED_ITEMS:
            self.item = self.target

    def on_action(self, token: str) -> None:
        if not self.negation:
            # Not negated, the action is the topic (出餐 慢, 发货 慢).
            if _is_target(token):
                self.on_target(token)
            return
        if token in _SUPPLY_VERBS and (self.item or self.target in lexicon.EXPECTED_ITEMS):
            self.found.append(AspectParts("", "无" + (self.item or self.target), "negative"))
        elif token in _SUPPLY_VERBS and not self.target:
            # 没送 内裤: the thing named next is what is missing.
            self._reset_modifiers()
            self.negation = "无"
            return
        elif token in lexicon.ABILITY_ACTIONS and self.negation not in lexicon.ABILITY_NEGATIONS:
            pass  # 还没用: not used yet
        elif self.target or token not in lexicon.GENERIC_ACTIONS:
            self._emit(_Predicate(self.negation + token, "negative"))
        self._reset_modifiers()
        self.item = ""

    def on_predicate(self, predicate: _Predicate) -> None:
        if self.negation:
            negated = _negate(predicate, self.negation)
            if negated is None:
                self._reset_modifiers()
                return
            predicate = negated
        self._emit(predicate)
        self._reset_modifiers()

    def _emit(self, predicate: _Predicate) -> None:
        target = self.target
        if (predicate.kind == "dimension" and predicate.canonical in lexicon.PRICE_LEVELS
                and lexicon.TARGET_CLASSES.get(target) == "价格"):
            predicate = _PREDICATES[lexicon.PRICE_LEVELS[predicate.canonical]]
        if predicate.kind == "dimension":
            polarity = _dimension_polarity(predicate.canonical, target)
            canonical = predicate.canonical
            if polarity != "negative" and (self.excess or predicate.excess):
                polarity, canonical = "negative", "偏" + canonical
            if not target and not canonical.startswith("偏"):
                return  # 太大了 alone: big what?
            self.found.append(AspectParts(target, canonical, polarity))
            return
        canonical = predicate.canonical
        if not target:
            target = lexicon.IMPLIED_TARGET.get(canonical, "")
            if not target and canonical in lexicon.GENERIC:
                return
        said: Polarity = "neutral" if predicate.kind == "neutral" else (
            "positive" if predicate.kind == "positive" else "negative")
        self.found.append(AspectParts(target, canonical, said))


_OPPOSITE: Final[dict[Polarity, Polarity]] = {
    "positive": "negative", "negative": "positive", "neutral": "neutral"}


def _dimension_polarity(adjective: str, target: str) -> Polarity:
    polarity = lexicon.DIMENSION[adjective]
    if target in lexicon.BAD_QUANTITY_TARGETS:
        # 噪音大 is bad, 噪音小 is good: the target itself is the unwanted thing.
        return _OPPOSITE[polarity]
    return polarity


def _potential_failure(token: str) -> _Predicate | None:
    """打不开, 看不懂, 开不了, 难找: the segmenter keeps these whole; they say something fails or
    is hard to do."""
    if token in _NOT_A_FAILURE:
        return None
    if len(token) == 3 and (token[1] == "不" or token.endswith("不了")) and token[0] != token[2]:
        # (是不是, 能不能: a question, not a failure.)
        return _Predicate(token, "negative")
    if len(token) == 2 and token[0] == "难":
        return _Predicate(token, "negative")
    return None


# What a token does in the scan. One dictionary lookup per token decides it: the lexicon's words
# are classified up front, other words on first sight (then cached).
(_SKIP, _TARGET, _BREAK, _DEGREE, _NEGATION, _PREDICATE, _ACTION, _SPLIT, _VERB_FAILURE,
 _ATTRIBUTE, _PAIR, _NEGATED_ONLY) = range(12)
# Words that leave a negation standing before its predicate or item (不 是 很 好, 没有 什么 效果).
_TRANSPARENT: Final = frozenset({"的", "了", "得", "地", "什么", "啥", "任何"})
_Role = tuple[int, object]


def _lexicon_roles() -> dict[str, _Role]:
    roles: dict[str, _Role] = {}
    for word in lexicon.DEGREE:
        roles[word] = (_DEGREE, word in lexicon.EXCESS_DEGREE)
    for word in lexicon.CLAUSE_WORDS:
        roles[word] = (_BREAK, None)
    roles["不了"] = (_VERB_FAILURE, None)
    for word in lexicon.ATTRIBUTE_WORDS:
        roles[word] = (_ATTRIBUTE, None)
    for word in _SPLIT_NEGATIONS:
        roles[word] = (_SPLIT, _SPLIT_NEGATIONS[word])
    for word, negated_action in _GLUED_NEGATED_ACTIONS.items():
        roles[word] = (_SPLIT, negated_action)
    for word, pairs in lexicon.SPLIT_PREDICATES.items():
        roles[word] = (_PAIR, pairs)
    for word, denial in lexicon.NEGATED_ONLY.items():
        roles[word] = (_NEGATED_ONLY, _PREDICATES[denial])
    # Later assignments win: a negation beats a predicate (不够 新鲜), a predicate an action.
    for word in _ACTIONS:
        roles[word] = (_ACTION, None)
    for word, predicate in _PREDICATES.items():
        roles[word] = (_PREDICATE, predicate)
    for word, form in lexicon.NEGATIONS.items():
        roles[word] = (_NEGATION, form)
    return roles


_LEXICON_ROLES: Final = _lexicon_roles()
_ROLE_CACHE_LIMIT: Final = 500_000


def _classify(token: str) -> _Role:
    if not token.isalnum():
        return (_BREAK, None)
    failure = _potential_failure(token)
    if failure is not None:
        return (_PREDICATE, failure)
    return (_TARGET, None) if _is_target(token) else (_SKIP, None)


_ROLES: Final = dict(_LEXICON_ROLES)


def _role(token: str) -> _Role:
    """The role of a word outside the lexicon, classified on first sight and then cached."""
    if len(_ROLES) > _ROLE_CACHE_LIMIT:
        # Bounded: a stream of odd tokens (codes, misspellings) must not grow it forever.
        _ROLES.clear()
        _ROLES.update(_LEXICON_ROLES)
    role = _ROLES[token] = _classify(token)
    return role


def parts_from_tokens(tokens: Sequence[str]) -> list[AspectParts]:
    """Aspects, taken apart, from jieba's tokens of normalised text (punctuation included: it
    marks the clauses). Duplicates are dropped; order is that of the text."""
    scanner = _ClauseScanner()
    known = _ROLES.get
    # Locals, not globals, in the loop that runs once per token.
    target_, skip_, break_, predicate_, degree_ = _TARGET, _SKIP, _BREAK, _PREDICATE, _DEGREE
    consumed = -1  # a token already read as the second half of a pair (掉 毛)
    for index, token in enumerate(tokens):
        kind, payload = known(token) or _role(token)
        if index == consumed:
            continue
        if kind == target_:
            if scanner.negation:
                following = (tokens[index + 1] if index + 1 < len(tokens)
                             and scanner.negation in ("没", "无") else "")
                next_kind, said = (known(following) or _role(following)) if following else (
                    skip_, None)
                if following and (following in lexicon.FLAVOURS or next_kind == target_):
                    # 没有 手机 壳, 没有 苹果 味: what is missing is the whole name.
                    scanner.on_target(token + following, head=following)
                    consumed = index + 1
                elif next_kind == predicate_:
                    if cast(_Predicate, said).kind == "negative":
                        scanner.target = token  # 没有 玻璃 划痕: the negation is the defect's
                    else:
                        # 没有 小米 好用, 没有 橙子 大: a comparison with another thing, which
                        # names no issue of this one.
                        scanner.end_clause()
                        consumed = index + 1
                else:
                    scanner.on_target(token)
            else:  # the common case, inline
                scanner.target = token
                scanner.excess = False
        elif kind == skip_:
            if scanner.negation and token not in _TRANSPARENT:
                scanner.negation = ""  # 从未 买过 如此 苦: the negation was on 买过, not on 苦
        elif kind == break_:
            if scanner.negation or scanner.target or scanner.excess:
                scanner.end_clause()
        elif kind == predicate_:
            if not scanner.target and index + 2 < len(tokens) and tokens[index + 1] == "的":
                # 如此苦的柚子, 陈旧的设施: the predicate comes first, its target after 的.
                following = tokens[index + 2]
                if (known(following) or _role(following))[0] == target_:
                    scanner.target = following
            scanner.on_predicate(payload)  # type: ignore[arg-type]
        elif kind == degree_:
            if payload:
                scanner.excess = True
        elif kind == _NEGATION:
            scanner.on_negation(payload)  # type: ignore[arg-type]
        elif kind == _ATTRIBUTE:
            scanner.on_target(token)
        elif kind == _ACTION:
            scanner.on_action(token)
        elif kind == _SPLIT:
            negation, action_word = cast(tuple[str, str], payload)
            if token not in _SPLIT_NEGATIONS or (
                    index + 1 < len(tokens) and tokens[index + 1].startswith("到")):
                scanner.on_negation(negation)
                scanner.on_action(action_word)
        elif kind == _PAIR:
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            pairs = cast(dict[str, str], payload)
            surface = pairs.get(following) or (
                lexicon.BEFORE_NUMBER_PREDICATES.get(token) if following.isdigit() else None)
            late = lexicon.LATE_PAIRS.get(surface or "")
            after = tokens[index + 2] if index + 2 < len(tokens) else ""
            before = tokens[index - 1] if index else ""
            if late is not None and not (
                    before.endswith(lexicon.LATE_AFTER) and before not in lexicon.NOT_LATE_AFTER
                    and not (before.endswith(lexicon.LATE_AFTER_DELIVERED) and following == "到")
                    and (not after.isalnum() or after in _TRANSPARENT or after == "货")):
                pass  # 晚上十点才到, 才到酒店: the customer arriving, not the goods
            elif surface is not None:
                if late is not None and lexicon.TARGET_CLASSES.get(scanner.target) != "物流":
                    scanner.target = late
                scanner.on_predicate(_PREDICATES[surface])
                consumed = index + 1
            elif _is_target(token):
                scanner.on_target(token)
        elif kind == _NEGATED_ONLY:
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if scanner.negation and scanner.target and following != "的":
                # 颜色 不 一样: the negation is already in the predicate (不符). Before 的 it
                # describes what follows (不一样的体验), which is no complaint.
                scanner.negation = ""
                scanner.on_predicate(payload)  # type: ignore[arg-type]
            scanner.negation = ""
        elif kind == _VERB_FAILURE and index > 0 and tokens[index - 1].isalnum():
            # 开 不了 (机): the verb is part of the failure, not its target.
            verb = tokens[index - 1]
            if scanner.target == verb:
                scanner.target = ""
            scanner.on_predicate(_Predicate(verb + token, "negative"))
    scanner.end_clause()
    return _unique(scanner.found)


def _unique(found: list[AspectParts]) -> list[AspectParts]:
    if len(found) < 2:
        return found
    seen: set[str] = set()
    unique = []
    for parts in found:
        text = parts.text
        if text not in seen:
            seen.add(text)
            unique.append(parts)
    return unique


def aspects_from_tokens(tokens: Sequence[str]) -> list[Aspect]:
    """For a pipeline that has already segmented the normalised text with `rjieba.cut`."""
    return [Aspect(parts.text, parts.polarity) for parts in parts_from_tokens(tokens)]


def extract_aspects(text: str) -> list[Aspect]:
    return aspects_from_tokens(rjieba.cut(normalise(text)))


def extract_aspects_batch(texts: Iterable[str]) -> list[list[Aspect]]:
    return [extract_aspects(text) for text in texts]


_CANONICAL_POLARITY: Final[dict[str, Polarity]] = {
    **{p: "neutral" for p in lexicon.NEUTRAL.values()},
    **{p: "positive" for p in lexicon.POSITIVE.values()},
    **{p: "negative" for p in lexicon.NEGATIVE.values()},
}


def _predicate_reading(text: str) -> Polarity | None:
    """The polarity of `text` read as a predicate alone (好, 没慢, 不出餐), or None."""
    polarity = _CANONICAL_POLARITY.get(text)
    if polarity is not None:
        return polarity
    found = parts_from_tokens(rjieba.cut(text))
    if len(found) == 1 and not found[0].target and found[0].predicate == text:
        return found[0].polarity
    return None


def parse_aspect(phrase: str) -> AspectParts:
    """A phrase (extracted, or typed by staff: 镜子太暗) in canonical parts. A phrase without a
    known predicate is all target, and negative: staff write down complaints."""
    normalised = normalise(phrase).strip().replace(" ", "")
    found = parts_from_tokens(rjieba.cut(normalised))
    for parts in found:
        if parts.text == normalised:  # a canonical phrase reads back as itself
            return parts
    if normalised.startswith("无") and len(normalised) > 1:
        return AspectParts("", normalised, "negative")  # 无量: the segmenter read a word there
    for cut in range(1, len(normalised)):
        # A target word and a predicate that the segmenter cuts differently once they are
        # together (不务好 + 好 reads 不务 好好): still the phrase as written.
        target = normalised[:cut]
        if _is_target(target):  # one word to the tagger, so not 镜子太
            polarity = _predicate_reading(normalised[cut:])
            if polarity is not None:
                return AspectParts(target, normalised[cut:], polarity)
    written = [parts for parts in found
               if parts.target in normalised and parts.predicate in normalised]
    if written:
        return max(written, key=lambda parts: len(parts.text))
    # The segmenter may cut a phrase differently on its own than inside its review (暗量差
    # reads as 暗 of an implied 光线): a known canonical predicate at its end still takes
    # it apart as written.
    for cut in range(1, len(normalised)):
        polarity = _CANONICAL_POLARITY.get(normalised[cut:])
        if polarity is not None:
            return AspectParts(normalised[:cut], normalised[cut:], polarity)
    if found:
        return max(found, key=lambda parts: len(parts.text))
    return AspectParts(normalised, "", "negative")


def predicate_class(predicate: str) -> str:
    """The defect a canonical predicate names, shared by its variants (看不清 → 暗; 无礼品 →
    无赠品)."""
    if predicate.startswith("无") and len(predicate) > 1:
        item = predicate[1:]
        return "无" + lexicon.TARGET_CLASSES.get(item, item)
    return lexicon.PREDICATE_CLASSES.get(predicate, predicate)


def topic_terms(tokens: Sequence[str]) -> list[str]:
    """The words of a text that can be what an opinion is about (nouns, products, places): the
    context that tells one "暗" complaint (试衣间, 镜子) from another (手机, 屏幕)."""
    known = _ROLES.get
    return [token for token in tokens if (known(token) or _role(token))[0] == _TARGET]
