"""Normalised keys: title_key (used to match id-less pages to papers) and is_arxiv_id."""

from __future__ import annotations

import pytest

from pipelines.sources.text_keys import is_arxiv_id, title_key


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # Real hard-wrapped arXiv title (daily/2025-03-17.json, paper 2503.07677).
        (
            "PLADIS: Pushing the Limits of Attention in Diffusion Models at Inference\n  Time by Leveraging Sparsity",
            "pladis pushing the limits of attention in diffusion models at inference time by leveraging sparsity",
        ),
        # Real title (daily/2024-06-10.json): hyphens become word breaks, case folds.
        (
            "Mixture-of-Agents Enhances Large Language Model Capabilities",
            "mixture of agents enhances large language model capabilities",
        ),
        # NFKC: the "fi" ligature and full-width letters/digits become plain ASCII.
        ("\ufb01ne-tuning \uff27\uff30\uff34\uff0d\uff14", "fine tuning gpt 4"),
        # casefold, not lower: German sharp s folds to "ss".
        ("STRASSE vs Straße", "strasse vs strasse"),
        # Non-ASCII letters are kept, only punctuation goes.
        ("Café — Überblick: 大模型!", "café überblick 大模型"),
        # LaTeX commands are dropped with their backslash; braces and $ are punctuation.
        (r"$\alpha$-Divergence \emph{Matters} for \textbf{LLMs}", "divergence matters for llms"),
        (r"Scaling \mathcal{O}(n^2) Attention", "scaling o n 2 attention"),
        # Punctuation and underscores become spaces; whitespace collapses and is stripped.
        ("  Be like a Goldfish,   Don't Memorize!\t", "be like a goldfish don t memorize"),
        ("snake_case\u00a0title\r\n", "snake case title"),
    ],
)
def test_title_key_normalises(title: str, expected: str) -> None:
    assert title_key(title) == expected


@pytest.mark.parametrize("title", [None, "", "   \n\t", "!!! ... ---", r"\LaTeX{}"])
def test_title_key_is_none_when_nothing_is_left(title: str | None) -> None:
    assert title_key(title) is None


def test_title_key_matches_wrapped_and_clean_forms_of_the_same_title() -> None:
    wrapped = "TxAgent: An AI Agent for Therapeutic Reasoning Across a Universe of\n  Tools"
    clean = "TxAgent: An AI Agent for Therapeutic Reasoning Across a Universe of Tools"
    assert (
        title_key(wrapped)
        == title_key(clean)
        == "txagent an ai agent for therapeutic reasoning across a universe of tools"
    )
    assert "\n" not in title_key(wrapped)


@pytest.mark.parametrize(
    "value",
    [
        "2406.11230",
        "2406.11230v3",
        "0704.0001",  # first new-style id (4 digits until 2014)
        "1412.9999v12",
        "1501.00001",  # 5 digits from 2015 on
        "hep-th/9901001",
        "hep-th/9901001v2",
        "math.GT/0309136",
        "cs/0112017",
    ],
)
def test_is_arxiv_id_accepts(value: str) -> None:
    assert is_arxiv_id(value) is True


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "2406.1123",  # 4-digit number is only valid up to 1412
        "",
        "12345.6789",
        "1412.00001",  # 5-digit number is only valid from 1501
        "2406.11230v",
        "2406.11230 ",
        "2406.11230\n",  # a trailing newline must not sneak into the primary key
        " 2406.11230",
        "arXiv:2406.11230",
        "HEP-TH/9901001",
        "hep-th/990100",
        "math.gt/0309136",
        "\uff12\uff14\uff10\uff16.\uff11\uff11\uff12\uff13\uff10",  # full-width digits are not an id
        "\u0662\u0664\u0660\u0666.\u0661\u0661\u0662\u0663\u0660",  # nor are Arabic-Indic digits
    ],
)
def test_is_arxiv_id_rejects(value: str) -> None:
    assert is_arxiv_id(value) is False
