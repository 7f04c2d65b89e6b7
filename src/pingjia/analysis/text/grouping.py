"""Recurring issues (问题线索): similar complaints grouped, so that "200 a month about the
fitting-room mirror" is seen without anyone reading 200 reviews.

How complaints come together:
1. Each aspect phrase becomes a signature: its target's synonym class and its predicate's defect
   class (镜子太暗 → 镜子|暗, 镜子看不清 → 镜子|暗, 试衣间灯光暗 → 灯光|暗). Equal signatures are
   one bucket.
2. Buckets are visited largest first; each joins the most similar earlier leader naming the same
   defect, or leads a group of its own. Similar means targets that overlap (电池 / 电池续航) or
   contexts that agree: the nouns around the complaint (试衣间, 衣服), weighted by rarity, have a
   cosine of at least `CONTEXT_THRESHOLD`. Comparing with leaders only (not with every member)
   keeps a group from drifting through chains of near neighbours.
3. Staff decisions (`GroupDecisions`) are applied last, so they hold after every recompute.

A group's key is its leader's signature. Keys the caller already knows (`known_keys`: the stored
groups, and every key a decision names) lead first, so a group keeps its key from one recompute to
the next; a known key absorbed into another group is listed in that group's `aliases`.

Everything here is plain data in and out: a service stores the groups, their members and the
decisions, and passes them back.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Final

import rjieba

from pingjia.analysis.text.aspect_lexicon import (
    GENERIC,
    IMPLIED_TARGET,
    TARGET_CLASSES,
    WHOLE_TARGETS,
)
from pingjia.analysis.text.aspects import parse_aspect, predicate_class, topic_terms

ItemId = int | str

CONTEXT_THRESHOLD: Final = 0.45
TARGET_THRESHOLD: Final = 0.5
PROFILE_SAMPLE: Final = 16  # texts per bucket that make its context profile
PROFILE_TERMS: Final = 24  # terms kept per profile
# Verdicts on the whole review (整体差) name no issue to fix, nor do they on the business or its
# goods as a whole (酒店差, 东西一般).
_UNSPECIFIC_TARGETS: Final = frozenset({"整体"})
_VERDICTS: Final = frozenset(p for p, target in IMPLIED_TARGET.items() if target == "整体")
# Defects too broad to join different targets by context: in hotel reviews 早餐差 and 设施差 share
# their context, yet they are different issues. Only their targets may bring them together.
_BROAD_DEFECTS: Final = GENERIC | {"态度差", "售后差"}
_CANDIDATE_TERMS: Final = 8  # a bucket looks for leaders through its strongest context terms


@dataclass(frozen=True)
class GroupItem:
    """One complaint to group: a review's id, its negative aspect phrases, its normalised text."""

    id: ItemId
    aspects: tuple[str, ...]
    text: str = ""
    category: str | None = None


@dataclass(frozen=True)
class Move:
    """Staff took an item out of a group: into the group `to_key` (a key the service made up for
    a split-off group, or an existing group's key), or out of every group (None)."""

    item_id: ItemId
    from_key: str
    to_key: str | None


@dataclass(frozen=True)
class GroupDecisions:
    """Staff decisions that every recompute keeps. Keys are group keys."""

    merged: Mapping[str, str] = field(default_factory=dict)  # key → the key it was merged into
    renamed: Mapping[str, str] = field(default_factory=dict)  # key → the name staff gave it
    dismissed: frozenset[str] = frozenset()  # still grouped (so they do not reappear), flagged
    moves: tuple[Move, ...] = ()

    def keys(self) -> set[str]:
        keys = set(self.merged) | set(self.merged.values()) | set(self.renamed) | set(
            self.dismissed)
        keys.update(move.from_key for move in self.moves)
        keys.update(move.to_key for move in self.moves if move.to_key)
        return keys

    def surviving_key(self, key: str) -> str:
        """The key a merged key now lives under (merges may chain; a cycle stops where it loops)."""
        seen = {key}
        while key in self.merged and self.merged[key] not in seen:
            key = self.merged[key]
            seen.add(key)
        return key


@dataclass(frozen=True)
class RecurringIssue:
    key: str
    name: str
    member_ids: tuple[ItemId, ...]
    signatures: tuple[str, ...]  # target class|defect class of every bucket in the group
    category: str | None  # the members' most common category
    phrases: tuple[tuple[str, int], ...]  # the most common phrases, with their counts
    leader_target: str  # what the leader's phrases are about, for assigning new complaints
    profile: tuple[tuple[str, float], ...]  # the leader's context, for assigning new complaints
    dismissed: bool = False
    renamed: bool = False
    aliases: tuple[str, ...] = ()  # known keys now inside this group (merged or absorbed)

    @property
    def defect(self) -> str:
        return self.key.partition("|")[2] if "|" in self.key else ""


@dataclass(frozen=True)
class Grouping:
    issues: tuple[RecurringIssue, ...]
    # Rarity weights of context terms (only those in some profile); unseen terms weigh `rare_idf`.
    idf: Mapping[str, float]
    rare_idf: float

    def by_key(self) -> dict[str, RecurringIssue]:
        return {issue.key: issue for issue in self.issues}


@dataclass(frozen=True)
class Assignment:
    """New complaints placed: member ids added to existing groups, and groups that are new."""

    added: Mapping[str, tuple[ItemId, ...]]
    new_issues: tuple[RecurringIssue, ...]


# ---- signatures ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Signature:
    key: str
    target: str
    defect: str
    phrase: str


class _SignatureCache:
    """Phrases repeat across a million reviews: each distinct phrase is parsed once."""

    def __init__(self) -> None:
        self._cache: dict[str, _Signature | None] = {}

    def __call__(self, phrase: str) -> _Signature | None:
        try:
            return self._cache[phrase]
        except KeyError:
            signature = self._cache[phrase] = _signature(phrase)
            return signature


def issue_signature(phrase: str) -> str | None:
    """What grouping reads in an aspect phrase: "target class|defect class" (镜子太暗 → 镜子|暗),
    or None for praise and for verdicts on the whole (整体差) that name no issue."""
    signature = _signature(phrase)
    return signature.key if signature else None


def _signature(phrase: str) -> _Signature | None:
    parts = parse_aspect(phrase)
    if parts.polarity == "positive" or parts.target in _UNSPECIFIC_TARGETS or not parts.text:
        return None
    if parts.target in WHOLE_TARGETS and parts.predicate in _VERDICTS:
        return None
    target = TARGET_CLASSES.get(parts.target, parts.target)
    defect = predicate_class(parts.predicate)
    return _Signature(f"{target}|{defect}", target, defect, parts.text)


# ---- context profiles ------------------------------------------------------------------------

Profile = dict[str, float]


def _cosine(left: Mapping[str, float], right: Mapping[str, float]) -> float:
    if len(left) > len(right):
        left, right = right, left
    return sum(weight * right.get(term, 0.0) for term, weight in left.items())


def _weighted(counts: Counter[str], idf: Mapping[str, float], rare_idf: float,
              exclude: str) -> Profile:
    weights = {term: count * idf.get(term, rare_idf) for term, count in counts.items()
               if TARGET_CLASSES.get(term, term) != exclude}
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:PROFILE_TERMS]
    norm = math.sqrt(sum(weight * weight for _, weight in top)) or 1.0
    return {term: weight / norm for term, weight in top}


def _context_counts(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        # A term counts once per text: one chatty review must not outweigh the others.
        counts.update(set(topic_terms(rjieba.cut(text))))
    return counts


# ---- scoring: shared by recompute and assign, so they agree --------------------------------

def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def target_similarity(left: str, right: str) -> float:
    """1 for the same target class, 0.8 when one contains the other (电池 / 电池续航), else the
    Dice coefficient of their character bigrams."""
    return _target_similarity(left, _bigrams(left), right, _bigrams(right))


def _target_similarity(left: str, left_grams: frozenset[str] | set[str], right: str,
                       right_grams: frozenset[str] | set[str]) -> float:
    if left == right:
        return 1.0
    if not left or not right:
        return 0.0
    if len(left) > 1 and len(right) > 1 and (left in right or right in left):
        return 0.8
    return 2 * len(left_grams & right_grams) / (len(left_grams) + len(right_grams))


def _join_score(target: str, grams: frozenset[str], profile: Profile,
                leader: _Leader) -> float:
    """How strongly a bucket belongs with a leader of the same defect; 0 when it does not."""
    by_target = _target_similarity(target, grams, leader.target, leader.grams)
    score = by_target if by_target >= TARGET_THRESHOLD else 0.0
    leader_profile = leader.profile
    if profile and leader_profile:
        by_context = _cosine(profile, leader_profile)
        if by_context >= CONTEXT_THRESHOLD:
            score = max(score, by_context)
    return score


def uses_context(defect: str) -> bool:
    return defect not in _BROAD_DEFECTS


@dataclass
class _Bucket:
    signature: _Signature
    members: list[int]  # item indices
    phrases: Counter[str]
    profile: Profile = field(default_factory=dict)


@dataclass
class _Leader:
    key: str
    target: str
    profile: Profile
    buckets: list[_Bucket] = field(default_factory=list)
    grams: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.grams = frozenset(_bigrams(self.target)) if self.target else frozenset()


class _LeaderIndex:
    """Leaders of one defect, indexed by target bigrams and context terms, so a bucket is
    compared with the few leaders that could match rather than with all of them. (Targets that
    share no bigram cannot reach `TARGET_THRESHOLD`, nor contain one another.)"""

    def __init__(self) -> None:
        self.leaders: list[_Leader] = []
        self._by_gram: dict[str, list[int]] = defaultdict(list)
        self._by_term: dict[str, list[int]] = defaultdict(list)

    def add(self, leader: _Leader) -> None:
        position = len(self.leaders)
        self.leaders.append(leader)
        for gram in leader.grams:
            self._by_gram[gram].append(position)
        for term in list(leader.profile)[:_CANDIDATE_TERMS]:
            self._by_term[term].append(position)

    def best(self, target: str, profile: Profile) -> _Leader | None:
        grams = frozenset(_bigrams(target)) if target else frozenset()
        candidates: set[int] = set()
        for gram in grams:
            candidates.update(self._by_gram.get(gram, ()))
        for term in list(profile)[:_CANDIDATE_TERMS]:  # profiles are ordered strongest first
            candidates.update(self._by_term.get(term, ()))
        best: tuple[float, int] | None = None
        for position in sorted(candidates):
            leader = self.leaders[position]
            score = _join_score(target, grams, profile, leader)
            if score > 0 and (best is None or score > best[0]):
                best = (score, position)
        return self.leaders[best[1]] if best else None


# ---- recompute -------------------------------------------------------------------------------

def recompute(items: Sequence[GroupItem], decisions: GroupDecisions | None = None, *,
              known_keys: Iterable[str] = (), min_size: int = 2) -> Grouping:
    """Group all complaints from scratch. Groups smaller than `min_size` are left out unless a
    decision or a known key names them (a recurring issue recurs)."""
    decisions = decisions or GroupDecisions()
    anchored = decisions.keys()
    known = set(known_keys) | anchored
    signature_of = _SignatureCache()

    buckets: dict[str, _Bucket] = {}
    for index, item in enumerate(items):
        for phrase in item.aspects:
            signature = signature_of(phrase)
            if signature is None:
                continue
            bucket = buckets.get(signature.key)
            if bucket is None:
                bucket = buckets[signature.key] = _Bucket(signature, [], Counter())
            if not bucket.members or bucket.members[-1] != index:
                bucket.members.append(index)
            bucket.phrases[signature.phrase] += 1

    idf, rare_idf = _profile_buckets(buckets.values(), items)
    ordered = sorted(buckets.values(), key=lambda b: (
        b.signature.key not in known, -len(b.members), b.signature.key))
    indexes: dict[str, _LeaderIndex] = defaultdict(_LeaderIndex)
    leaders: list[_Leader] = []
    for bucket in ordered:
        signature = bucket.signature
        # A key a staff decision names never joins another group by itself: the decision is
        # about that group, and must find it again.
        leader = None if signature.key in anchored else indexes[signature.defect].best(
            signature.target, bucket.profile)
        if leader is None:
            leader = _Leader(signature.key, signature.target, bucket.profile)
            indexes[signature.defect].add(leader)
            leaders.append(leader)
        leader.buckets.append(bucket)

    issues = _issues(leaders, items, decisions, known, min_size)
    kept_terms = {term for issue in issues for term, _ in issue.profile}
    return Grouping(tuple(issues), {t: idf[t] for t in kept_terms if t in idf}, rare_idf)


def _profile_buckets(buckets: Iterable[_Bucket], items: Sequence[GroupItem]
                     ) -> tuple[dict[str, float], float]:
    """Give every bucket its context profile; returns the rarity weights used."""
    counts_by_bucket: list[tuple[_Bucket, Counter[str], int]] = []
    document_frequency: Counter[str] = Counter()
    documents = 0
    for bucket in buckets:
        if not uses_context(bucket.signature.defect):
            continue
        sample = _spread_sample(bucket.members, PROFILE_SAMPLE)
        counts = _context_counts(items[i].text for i in sample)
        counts_by_bucket.append((bucket, counts, len(sample)))
        document_frequency.update(counts)
        documents += len(sample)
    idf = {term: math.log((1 + documents) / (1 + df)) + 1.0
           for term, df in document_frequency.items()}
    rare_idf = math.log(1 + documents) + 1.0
    for bucket, counts, _ in counts_by_bucket:
        bucket.profile = _weighted(counts, idf, rare_idf, bucket.signature.target)
    return idf, rare_idf


def _spread_sample(members: Sequence[int], size: int) -> list[int]:
    """Evenly spaced members, the same ones every time for the same input."""
    if len(members) <= size:
        return list(members)
    step = len(members) / size
    return [members[int(i * step)] for i in range(size)]


def _issues(leaders: list[_Leader], items: Sequence[GroupItem], decisions: GroupDecisions,
            known: set[str], min_size: int) -> list[RecurringIssue]:
    # Merges first: a merged key's buckets live under the key it was merged into.
    by_key: dict[str, list[_Leader]] = defaultdict(list)
    for leader in leaders:
        by_key[decisions.surviving_key(leader.key)].append(leader)

    members: dict[str, dict[ItemId, None]] = {}
    for key, group in by_key.items():
        ordered: dict[ItemId, None] = {}
        for leader in group:
            for bucket in leader.buckets:
                for index in bucket.members:
                    ordered[items[index].id] = None
        members[key] = ordered
    _apply_moves(members, decisions)

    issues = []
    for key in sorted(members, key=lambda k: (-len(members[k]), k)):
        group = by_key.get(key, [])
        member_ids = tuple(members[key])
        named = key in decisions.renamed or key in decisions.dismissed
        if len(member_ids) < min_size and key not in known and not named:
            continue
        if not member_ids and key not in known:
            continue
        issues.append(_issue(key, group, member_ids, items, decisions, known))
    return issues


def _apply_moves(members: dict[str, dict[ItemId, None]], decisions: GroupDecisions) -> None:
    for move in decisions.moves:
        source = members.get(decisions.surviving_key(move.from_key))
        if source is None or move.item_id not in source:
            continue  # the item left that group on its own (its aspects changed)
        del source[move.item_id]
        if move.to_key is not None:
            members.setdefault(decisions.surviving_key(move.to_key), {})[move.item_id] = None


def _issue(key: str, group: list[_Leader], member_ids: tuple[ItemId, ...],
           items: Sequence[GroupItem], decisions: GroupDecisions,
           known: set[str]) -> RecurringIssue:
    phrases: Counter[str] = Counter()
    signatures: list[str] = []
    for leader in group:
        for bucket in leader.buckets:
            phrases.update(bucket.phrases)
            signatures.append(bucket.signature.key)
    main = next((leader for leader in group if leader.key == key), group[0] if group else None)
    top_phrases = sorted(phrases.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    name = decisions.renamed.get(key) or (top_phrases[0][0] if top_phrases else key)
    return RecurringIssue(
        key=key,
        name=name,
        member_ids=member_ids,
        signatures=tuple(signatures),
        category=_main_category(group, items),
        phrases=tuple(top_phrases[:10]),
        leader_target=main.target if main else "",
        profile=tuple(sorted(main.profile.items(), key=lambda kv: (-kv[1], kv[0]))) if main
        else (),
        dismissed=key in decisions.dismissed,
        renamed=key in decisions.renamed,
        aliases=tuple(sorted(s for s in signatures if s != key and s in known)
                      + sorted(k for k, v in decisions.merged.items()
                               if decisions.surviving_key(v) == key and k not in signatures)),
    )


def _main_category(group: list[_Leader], items: Sequence[GroupItem]) -> str | None:
    categories: Counter[str] = Counter()
    for leader in group:
        for bucket in leader.buckets:
            for index in _spread_sample(bucket.members, 200):
                category = items[index].category
                if category:
                    categories[category] += 1
    if not categories:
        return None
    return min(categories.items(), key=lambda kv: (-kv[1], kv[0]))[0]


# ---- incremental assignment ------------------------------------------------------------------

def assign(new_items: Sequence[GroupItem], existing: Grouping,
           decisions: GroupDecisions | None = None) -> Assignment:
    """Place new complaints into the stored groups by the recompute's own rule: a known signature
    goes to its group, another joins the most similar leader of the same defect, and the rest
    make new groups (keyed by their signature, as a recompute would)."""
    decisions = decisions or GroupDecisions()
    signature_of = _SignatureCache()
    by_signature: dict[str, str] = {}
    indexes: dict[str, _LeaderIndex] = defaultdict(_LeaderIndex)
    for issue in existing.issues:
        for member_signature in issue.signatures:
            by_signature.setdefault(member_signature, issue.key)
        if issue.defect:
            indexes[issue.defect].add(_Leader(issue.key, issue.leader_target,
                                              dict(issue.profile)))

    added: dict[str, dict[ItemId, None]] = defaultdict(dict)
    fresh: dict[str, list[tuple[GroupItem, _Signature]]] = defaultdict(list)
    for item in new_items:
        for phrase in item.aspects:
            signature = signature_of(phrase)
            if signature is None:
                continue
            key = by_signature.get(signature.key)
            if key is None:
                profile = _weighted(_context_counts([item.text]), existing.idf,
                                    existing.rare_idf, signature.target) if uses_context(
                    signature.defect) else {}
                leader = indexes[signature.defect].best(signature.target, profile)
                if leader is None:
                    fresh[signature.key].append((item, signature))
                    continue
                key = by_signature[signature.key] = leader.key
            added[decisions.surviving_key(key)][item.id] = None

    new_issues = [_new_issue(key, members) for key, members in sorted(fresh.items())]
    return Assignment({key: tuple(ids) for key, ids in added.items()}, tuple(new_issues))


def _new_issue(key: str, members: list[tuple[GroupItem, _Signature]]) -> RecurringIssue:
    phrases = Counter(signature.phrase for _, signature in members)
    top = sorted(phrases.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    categories = Counter(item.category for item, _ in members if item.category)
    return RecurringIssue(
        key=key,
        name=top[0][0],
        member_ids=tuple(dict.fromkeys(item.id for item, _ in members)),
        signatures=(key,),
        category=min(categories.items(), key=lambda kv: (-kv[1], kv[0]))[0] if categories
        else None,
        phrases=tuple(top[:10]),
        leader_target=members[0][1].target,
        profile=(),
    )


# ---- spikes ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpikeCheck:
    is_spike: bool
    latest: int
    baseline: float  # median of the trailing weeks
    spread: float  # the robust standard deviation used
    score: float  # how many spreads the latest week is above the baseline


def detect_spike(weekly_counts: Sequence[int], *, window: int = 10, threshold: float = 3.5,
                 min_count: int = 5, min_ratio: float = 2.0, min_history: int = 4) -> SpikeCheck:
    """Is the latest week far above the issue's usual level?

    Usual level: the median of the `window` weeks before the latest. Spread: the median absolute
    deviation scaled to a standard deviation (×1.4826), but never below √median (the noise a
    count of that size has anyway) nor below 1, so a flat history does not make every bump a
    spike. A spike needs a robust z-score of at least `threshold`, at least `min_count`
    complaints, at least `min_ratio` times the usual level, and `min_history` weeks to compare
    with. Steady growth is not a spike: the trailing median rises with it.
    """
    if not weekly_counts:
        return SpikeCheck(False, 0, 0.0, 0.0, 0.0)
    latest = int(weekly_counts[-1])
    history = [float(count) for count in weekly_counts[-window - 1:-1]]
    if len(history) < min_history:
        return SpikeCheck(False, latest, 0.0, 0.0, 0.0)
    baseline = median(history)
    mad = median(abs(count - baseline) for count in history)
    spread = max(1.4826 * mad, math.sqrt(baseline), 1.0)
    score = (latest - baseline) / spread
    is_spike = (score >= threshold and latest >= min_count
                and latest >= min_ratio * max(baseline, 1.0))
    return SpikeCheck(is_spike, latest, baseline, spread, score)
