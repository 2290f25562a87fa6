"""Stable learned-topic ids: the registry of every id ever issued, and matching clusters to it.

A fit's clusters are matched to the registry topics (active and retired) by the Hungarian
method (scipy ``linear_sum_assignment``) on the cosine similarity of their term distributions.
A pair at or above the threshold keeps the registry id ("kept", or "revived" for a retired
one). Every other cluster gets a new id, ``lt:NNNN`` numbered on from the highest id ever
issued, in order of size (desc) then first paper id, so that the same input always gets the
same ids. A registry topic that no cluster matched is "retired": it stays in the registry with
its last terms and label, and its id is never reissued. Every change is an :class:`Event`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

ID_PREFIX = "lt:"


@dataclass(frozen=True)
class RegistryTopic:
    topic_id: str
    status: str  # active | retired
    label: str
    papers: int  # papers at the last fit that matched it (0 once retired)
    terms: dict[str, float]  # term distribution at the last match, l2-normalised

    def with_label(self, label: str) -> RegistryTopic:
        return replace(self, label=label)


@dataclass(frozen=True)
class Event:
    topic_id: str
    event: str  # created | kept | revived | retired
    similarity: float | None  # term-distribution cosine to the registry entry (kept, revived)
    papers: int  # papers of the topic in this fit (0 when retired)
    previous_papers: int  # papers of the topic in the previous assignment


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def id_number(topic_id: str) -> int:
    return int(topic_id.removeprefix(ID_PREFIX))


def format_id(number: int) -> str:
    return f"{ID_PREFIX}{number:04d}"


def assign_ids(
    clusters: list[tuple[dict[str, float], int, str]],
    registry: list[RegistryTopic],
    threshold: float,
    *,
    previous_sizes: dict[str, int] | None = None,
    return_ids: bool = False,
):
    """clusters: (term distribution, papers, first paper id) → (registry, events[, ids per cluster])."""
    previous_sizes = previous_sizes or {}
    registry = sorted(registry, key=lambda t: t.topic_id)
    ids: list[str | None] = [None] * len(clusters)
    similarity = np.zeros((len(clusters), len(registry)))
    for i, (terms, _, _) in enumerate(clusters):
        for j, topic in enumerate(registry):
            similarity[i, j] = cosine(terms, topic.terms)
    matched: dict[int, tuple[int, float]] = {}
    if clusters and registry:
        from scipy.optimize import linear_sum_assignment  # imported here: scipy.optimize loads slowly

        rows, cols = linear_sum_assignment(-similarity)
        for i, j in zip(rows, cols, strict=True):
            if similarity[i, j] >= threshold:
                matched[int(j)] = (int(i), float(similarity[i, j]))

    events: list[Event] = []
    updated: list[RegistryTopic] = []
    for j, topic in enumerate(registry):
        before = previous_sizes.get(topic.topic_id, 0)
        if j in matched:
            i, score = matched[j]
            terms, papers, _ = clusters[i]
            ids[i] = topic.topic_id
            event = "kept" if topic.status == "active" else "revived"
            events.append(Event(topic.topic_id, event, round(score, 6), papers, before))
            updated.append(replace(topic, status="active", papers=papers, terms=terms))
        elif topic.status == "active":
            events.append(Event(topic.topic_id, "retired", None, 0, before))
            updated.append(replace(topic, status="retired", papers=0))
        else:
            updated.append(topic)

    next_number = max((id_number(t.topic_id) for t in registry), default=0) + 1
    new = sorted((i for i in range(len(clusters)) if ids[i] is None), key=lambda i: (-clusters[i][1], clusters[i][2]))
    for i in new:
        terms, papers, _ = clusters[i]
        ids[i] = format_id(next_number)
        next_number += 1
        events.append(Event(ids[i], "created", None, papers, 0))
        updated.append(RegistryTopic(ids[i], "active", "", papers, terms))
    updated.sort(key=lambda t: t.topic_id)
    events.sort(key=lambda e: e.topic_id)
    return (updated, events, ids) if return_ids else (updated, events)
