"""Authors, HF users (submitters) and organisations, in the shapes the HF API uses.

The submitter and organisation pools are a function of the run seed alone, so every
worker process rebuilds the same pools instead of receiving them through a pipe.
"""

from __future__ import annotations

import random
import string
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np

from pipelines.generate.vocab import (
    FIRST_NAMES_OTHER,
    FIRST_NAMES_ZH,
    LAST_NAMES_OTHER,
    LAST_NAMES_ZH,
    ORG_PLACES,
    ORG_WORDS,
)

_TOKEN_CHARS = string.ascii_letters + string.digits + "-_"
_STATUSES = ("admin_assigned", "claimed_verified", "extracted_pending", "extracted_confirmed")
_STATUS_WEIGHTS = (0.65, 0.25, 0.06, 0.04)


def hex_id(r: random.Random) -> str:
    """A 24-hex-digit Mongo-style object id, as HF uses for users, authors and discussions."""
    return f"{r.getrandbits(96):024x}"


def person_name(r: random.Random) -> str:
    if r.random() < 0.55:
        return f"{r.choice(FIRST_NAMES_ZH)} {r.choice(LAST_NAMES_ZH)}"
    first, last = r.choice(FIRST_NAMES_OTHER), r.choice(LAST_NAMES_OTHER)
    if r.random() < 0.08:
        return f"{first} {r.choice(string.ascii_uppercase)}. {last}"
    return f"{first} {last}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def username(r: random.Random, fullname: str) -> str:
    parts = [p for p in _ascii(fullname).replace(".", "").split() if p]
    first, last = parts[0], parts[-1]
    style = r.randrange(5)
    if style == 0:
        return (first + last).lower()
    if style == 1:
        return (first[0] + last).lower()
    if style == 2:
        return f"{last}{first}{r.randint(1, 99)}"
    if style == 3:
        return f"{first}{last}".replace("-", "")
    return f"{r.choice(ORG_WORDS)}-{last.lower()}{r.randint(0, 999)}"


def avatar_url(r: random.Random, user_id: str) -> str:
    if r.random() < 0.6:
        token = "".join(r.choice(_TOKEN_CHARS) for _ in range(21))
        return f"https://cdn-avatars.huggingface.co/v1/production/uploads/{user_id}/{token}.jpeg"
    return f"/avatars/{r.getrandbits(128):032x}.svg"


def _user(r: random.Random) -> dict[str, Any]:
    fullname = person_name(r)
    user_id = hex_id(r)
    return {
        "_id": user_id,
        "avatarUrl": avatar_url(r, user_id),
        "fullname": fullname,
        "name": username(r, fullname),
        "type": "user",
        "isPro": r.random() < 0.1,
        "isHf": r.random() < 0.01,
        "isHfAdmin": False,
        "isMod": False,
        # Optional in the real feed: present on most users, absent on some.
        **({"followerCount": int(np.exp(r.gauss(3.0, 1.5)))} if r.random() < 0.85 else {}),
    }


def daily_by(user: dict[str, Any]) -> dict[str, Any]:
    """The paper.submittedOnDailyBy shape: the same user with key ``user`` and fewer fields."""
    return {
        "_id": user["_id"],
        "avatarUrl": user["avatarUrl"],
        "isPro": user["isPro"],
        "fullname": user["fullname"],
        "user": user["name"],
        "type": "user",
    }


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


@lru_cache(maxsize=4)
def submitters(seed: int, size: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The pool of users who put papers on the daily list, with Zipf weights (a few submit most)."""
    r = random.Random(seed * 1_000_003 + 17)
    pool = [_user(r) for _ in range(size)]
    return pool, zipf_weights(size, 1.1)


@lru_cache(maxsize=4)
def organizations(seed: int, size: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    r = random.Random(seed * 1_000_003 + 29)
    orgs, seen = [], set()
    while len(orgs) < size:
        handle = f"{r.choice(ORG_PLACES)}-{r.choice(ORG_WORDS)}"
        if r.random() < 0.3:
            handle += f"-{r.choice(ORG_WORDS)}"
        if handle in seen:
            continue
        seen.add(handle)
        org_id = hex_id(r)
        orgs.append(
            {
                "_id": org_id,
                "name": handle,
                "fullname": " ".join(w.capitalize() for w in handle.split("-")),
                "avatar": f"https://cdn-avatars.huggingface.co/v1/production/uploads/{org_id}/"
                + "".join(r.choice(_TOKEN_CHARS) for _ in range(21))
                + ".png",
            }
        )
    return orgs, zipf_weights(size, 1.0)


def authors(r: random.Random, count: int, first_id: int, claimed_at: str) -> list[dict[str, Any]]:
    """HF author objects: ``_id``s count up from one base like the real ones; a fifth are claimed users."""
    out = []
    base = first_id
    for i in range(count):
        name = person_name(r)
        author: dict[str, Any] = {"_id": f"{base + i:024x}"}
        if r.random() < 0.2:
            user_id = hex_id(r)
            author["user"] = {
                "_id": user_id,
                "avatarUrl": avatar_url(r, user_id),
                "isPro": r.random() < 0.1,
                "fullname": name,
                "user": username(r, name),
                "type": "user",
            }
            author["name"] = name
            author["status"] = r.choices(_STATUSES, _STATUS_WEIGHTS)[0]
            author["statusLastChangedAt"] = claimed_at
        else:
            author["name"] = name
        author["hidden"] = r.random() < 0.0006
        out.append(author)
    return out
