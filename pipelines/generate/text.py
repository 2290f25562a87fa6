"""Titles, abstracts, keywords and model names built from a topic's vocabulary.

Plain ``random.Random`` is used here (one per listing day, seeded from the run seed):
text is built word by word, where a Python RNG is both fast and deterministic.
"""

from __future__ import annotations

import random

from pipelines.generate.vocab import (
    ADJECTIVES,
    BENCH_NOUNS,
    FILLER_SENTENCES,
    GERUNDS,
    LATEX_BITS,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    NAME_VERSIONS,
    NOUNS,
    OUTCOMES,
    PROBLEMS,
    SHARED_TERMS,
    VERBS,
    Topic,
)

_SMALL_WORDS = frozenset(
    {"a", "an", "the", "for", "of", "in", "on", "with", "via", "and", "to", "at", "by", "from", "or"}
)
_QUALITIES = ("Robustness", "Limits", "Role", "Effectiveness", "Scaling Behavior", "Reliability", "Emergence")
_CAN_VERBS = ("Improve", "Replace", "Benefit", "Help", "Scale", "Generalize to")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:] if word[:1].islower() else word


def title_case(text: str) -> str:
    """Capitalise every word except small ones; hyphenated parts too ("Chain-of-Thought"); acronyms stay."""
    out: list[str] = []
    for word in text.split(" "):
        starts = not out or out[-1].endswith(":")  # the first word, and the first after a colon
        parts = word.split("-")
        parts = [p if (p.lower() in _SMALL_WORDS and not (starts and j == 0)) else _cap(p) for j, p in enumerate(parts)]
        out.append("-".join(parts))
    return " ".join(out)


def _an(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _terms(r: random.Random, topic: Topic, k: int) -> list[str]:
    return r.sample(topic.terms, k)


def model_name(r: random.Random, topic: Topic) -> str:
    """A made-up method name such as "SplatFormer", "OmniSeg-R1" or "ACRONYM"."""
    roll = r.random()
    if roll < 0.12:
        return "".join(r.choice("ABCDEFGHIKLMNPRSTUVW") for _ in range(r.randint(3, 6)))
    stem = r.choice(topic.name_parts)
    if roll < 0.35:
        stem = r.choice(NAME_PREFIXES) + stem
    name = stem + ("-" if r.random() < 0.25 else "") + r.choice(NAME_SUFFIXES)
    if r.random() < 0.3:
        name += r.choice(NAME_VERSIONS)
    return name


def title(r: random.Random, topic: Topic, name: str) -> str:
    t1, t2, t3 = _terms(r, topic, 3)
    adj = r.choice(ADJECTIVES)
    pattern = r.randrange(10)
    if pattern == 0:
        text = f"{name}: {adj} {t1} for {t2}"
    elif pattern == 1:
        text = f"{name}: {r.choice(GERUNDS)} {t1} with {t2}"
    elif pattern == 2:
        text = f"{r.choice(GERUNDS)} {t1} via {r.choice(SHARED_TERMS)}"
    elif pattern == 3:
        text = f"{t1} Meets {t2}: {adj} {r.choice(NOUNS)} for {t3}"
    elif pattern == 4:
        text = f"On the {r.choice(_QUALITIES)} of {t1} in {t2}"
    elif pattern == 5:
        text = f"{name}: {_an(r.choice(BENCH_NOUNS))} for {t1} and {t2}"
    elif pattern == 6:
        text = f"Can {t1} {r.choice(_CAN_VERBS)} {t2}?"
    elif pattern == 7:
        text = f"{adj} {t1} through {r.choice(SHARED_TERMS)} and {t2}"
    elif pattern == 8:
        text = f"{name}: Towards {adj} {t1} at Scale"
    else:
        text = f"{t1} with {adj} {t2}"
    # Most real titles are Title Case; some are sentence case.
    return title_case(text) if r.random() < 0.85 else _cap(text)


def abstract(r: random.Random, topic: Topic, name: str, target_words: int, repo_url: str | None) -> str:
    """One paragraph of about ``target_words`` words; topic phrases carry the subject, filler dilutes it."""
    terms = topic.terms
    pick = r.choice

    def t() -> str:
        return pick(terms)

    def two() -> tuple[str, str]:
        first, second = r.sample(terms, 2)
        return first, second

    a, b = two()
    c, d = two()
    e, f = two()
    sentences = [
        pick(
            (
                f"Recent work on {a} has become {_an(pick(ADJECTIVES))} paradigm for {b}.",
                f"Recent advances in {a} have enabled remarkable progress in {b}.",
                f"Progress in {a} remains a central challenge for {b}.",
                f"Despite rapid progress, work on {a} is still limited by the cost of {pick(SHARED_TERMS)}.",
            )
        ),
        pick(
            (
                f"However, existing {pick(NOUNS)}s for {c} {pick(PROBLEMS)}.",
                f"Current approaches to {c} {pick(PROBLEMS)}, especially when combined with {d}.",
            )
        ),
        pick(
            (
                f"In this paper, we present {name}, {_an(pick(ADJECTIVES))} {pick(NOUNS)} that {pick(VERBS)} {e} and {f}.",
                f"We introduce {name}, {_an(pick(ADJECTIVES))} {pick(NOUNS)} for {e} built on {pick(SHARED_TERMS)}.",
                f"To address this, we propose {name}, which {pick(VERBS)} {e} with {f}.",
            )
        ),
    ]
    words = sum(s.count(" ") + 1 for s in sentences)
    while words < target_words - 30:
        roll = r.random()
        if roll < 0.3:
            sentence = pick(FILLER_SENTENCES)
        elif roll < 0.4:
            a, b = two()
            sentence = f"Specifically, we design {_an(pick(ADJECTIVES))} {pick(NOUNS)} that couples {a} with {b}."
        elif roll < 0.5:
            sentence = f"We further introduce {pick(SHARED_TERMS)} to better handle {t()}."
        elif roll < 0.6:
            a, b = two()
            sentence = f"Our key insight is that {a} and {b} can be learned jointly."
        elif roll < 0.7:
            a, b = two()
            sentence = (
                f"To support training, we construct {_an(pick(ADJECTIVES))} {pick(BENCH_NOUNS)} of "
                f"{r.randint(2, 900)}K examples covering {a} and {b}."
            )
        elif roll < 0.8:
            sentence = f"Unlike prior work on {t()}, our {pick(NOUNS)} does not rely on {pick(SHARED_TERMS)}."
        elif roll < 0.9:
            a, b = two()
            sentence = f"{name} first {pick(VERBS)} {a} using {pick(SHARED_TERMS)}, and then {pick(VERBS)} {b}."
        elif roll < 0.95:
            sentence = f"On {t()}, it {pick(LATEX_BITS)} compared with {pick(SHARED_TERMS)}."
        else:
            sentence = pick(
                (
                    f"Our results — obtained without {pick(SHARED_TERMS)} — transfer to {t()}.",
                    f"It runs {r.randint(2, 9)}× faster on {t()} and uses ≈{r.randint(2, 8)}0% less memory.",
                    f"We study the model’s behaviour on {t()} in detail.",
                )
            )
        sentences.append(sentence)
        words += sentence.count(" ") + 1
    a, b = two()
    sentences.append(
        f"Extensive experiments on {r.randint(3, 12)} benchmarks show that {name} {pick(OUTCOMES)} on {a}, "
        f"improving {b} by {r.randint(1, 25)}.{r.randint(0, 9)}%."
    )
    if repo_url and r.random() < 0.3:
        sentences.append(f"Code is available at {repo_url}.")
    return " ".join(sentences)


def keywords(r: random.Random, topic: Topic, name: str, k: int) -> list[str]:
    """HF-style ai_keywords: mostly topic phrases, some shared terms, sometimes the method name."""
    n_topic = min(len(topic.terms), max(1, round(k * 0.65)))
    chosen = r.sample(topic.terms, n_topic)
    chosen += r.sample(SHARED_TERMS, min(len(SHARED_TERMS), k - n_topic))
    if r.random() < 0.3:
        chosen.insert(0, name)
    return chosen[: max(k, 1)]


def ai_summary(r: random.Random, topic: Topic, name: str) -> str:
    t1, t2 = _terms(r, topic, 2)
    return f"{name}, {_an(r.choice(ADJECTIVES))} {r.choice(NOUNS)} for {t1}, {r.choice(VERBS)} {t2} and {r.choice(OUTCOMES)}."


def wrap(text: str, width: int = 80) -> str:
    """arXiv-style hard wrap: greedy at spaces, lines of at most ``width`` characters (longer words stay whole)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return "\n".join(lines)


def wrap_title(text: str) -> str:
    """arXiv titles wrap near 72 characters with a two-space continuation indent ("…Models\\n  for …")."""
    if len(text) <= 72:
        return text
    return wrap(text, 72).replace("\n", "\n  ")
