"""The keyword tokeniser (LaTeX/URL stripping, stopwords, n-grams, plural folding) and c-TF-IDF."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from pipelines.settings import SAMPLE_DIR
from pipelines.topics import corpus
from pipelines.topics.corpus import keywords_frame, load_hf_folder
from pipelines.topics.ctfidf import c_tf_idf
from pipelines.topics.model import distinct_terms, ranked_terms
from pipelines.topics.text import clean_text, keyword_phrase, paper_keywords, singular, text_keywords


def test_urls_and_latex_are_stripped():
    text = clean_text(
        r"We reach $O(n \log n)$ time, see https://github.com/org/repo and www.example.org/x."
        r" Our \textbf{Sparse Attention} beats $$\sum_i x_i$$ \cite{vaswani2017} \( a^2 \) \[ b \]."
    )
    for gone in ("github", "example", "log", "sum", "vaswani", "textbf", "cite", "a^2", "$", "\\"):
        assert gone not in text
    assert "Sparse Attention" in text  # a command keeps its braced argument


def test_keywords_are_stopword_free_ngrams_within_clauses():
    counts = text_keywords("We propose Large Language Models for chain-of-thought reasoning. Results improve.")
    assert {"large", "language", "model", "large language", "language model", "large language model"} <= set(counts)
    assert "chain of thought" in counts  # X of Y trigram across the connector
    assert "thought reasoning" in counts
    # stopwords and boilerplate never start, end or join a keyword; no keyword spans the full stop
    assert not any(k.split()[0] in {"we", "propose", "for"} for k in counts)
    assert "reasoning result" not in counts and "result" not in counts
    assert all(1 <= len(k.split()) <= 3 for k in counts)


def test_latex_and_urls_leave_no_keywords():
    counts = text_keywords(r"Diffusion $\mathcal{D}_\theta$ models at https://arxiv.org/abs/2401.00001 \cite{ho2020}")
    assert set(counts) == {"diffusion", "model"}  # the math splits "Diffusion ... models" into two runs


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("models", "model"),
        ("llms", "llm"),
        ("studies", "study"),
        ("policies", "policy"),
        ("processes", "process"),
        ("patches", "patch"),
        ("boxes", "box"),
        ("gaussians", "gaussian"),
        ("analyses", "analysis"),
        ("matrices", "matrix"),
        ("analysis", "analysis"),
        ("bias", "bias"),
        ("robotics", "robotics"),
        ("series", "series"),
        ("loss", "loss"),
        ("3dgs", "3dgs"),
        ("gas", "gas"),
    ],
)
def test_plural_folding(word, expected):
    assert singular(word) == expected


def test_ai_keywords_fold_case_plurals_and_meet_text_ngrams():
    assert keyword_phrase("Large Language Models") == "large language model"
    assert keyword_phrase("LLMs") == "llm"
    assert keyword_phrase("Chain-of-Thought") == "chain of thought"
    assert keyword_phrase("the diffusion policies") == "diffusion policy"
    found = paper_keywords("Vision-Language Models at scale", "We study them.", ["vision-language models", "VLMs"])
    assert found.ai_keywords == {"vision language model", "vlm"}
    counts = found.counts()
    assert counts["vision language model"] == 1  # in the title and an ai_keyword: counted once, from the text
    assert counts["vlm"] == 1  # only an ai_keyword: counts once
    assert "scale" in found.title


def test_keywords_frame_rows():
    papers = pl.DataFrame(
        {
            "paper_id": ["p1"],
            "title": ["Sparse Transformers"],
            "abstract": ["Sparse transformers scale."],
            "ai_keywords": [["transformers"]],
        }
    )
    rows = {r["keyword"]: r for r in keywords_frame(papers).iter_rows(named=True)}
    assert rows["sparse transformer"]["occurrences"] == 2
    assert rows["sparse transformer"]["title_occurrences"] == 1
    assert rows["sparse transformer"]["words"] == 2
    assert rows["transformer"]["from_ai_keywords"] and not rows["sparse"]["from_ai_keywords"]


def test_keywords_frame_in_blocks_and_worker_processes_equals_one_pass(monkeypatch):
    papers = load_hf_folder(SAMPLE_DIR / "hf-daily-papers")
    one_pass = keywords_frame(papers, workers=1)
    monkeypatch.setattr(corpus, "KEYWORD_BLOCK", 40)  # the 471 sample papers in 12 blocks
    blocks = keywords_frame(papers, workers=2)
    assert papers.height > 400 and one_pass.height > 20 * papers.height
    assert blocks.equals(one_pass)  # same rows, same order (papers in input order)
    assert keywords_frame(papers.head(0), workers=2).schema == one_pass.schema


def test_ctfidf_on_a_hand_checked_corpus():
    """The corpus of the dbt unit test topic_keywords_ctfidf (_topics__unit_tests.yml).

    Topic A = p1 {x, y, z} + p2 {x, "x z"}, topic B = p3 {y, w, z}. n(t, A): x 2, y 1, z 1, "x z" 1
    (sum 5); n(t, B): y 1, w 1, z 1 (sum 3). Mean class total = 4. Keyword totals: x 2, y 2, z 2,
    "x z" 1, w 1, so idf = ln(1 + 4/2) = ln 3 for x, y, z and ln(1 + 4/1) = ln 5 for "x z", w.
    """
    vocabulary = ["w", "x", "x z", "y", "z"]
    counts = np.array([[0, 2, 1, 1, 1], [1, 0, 0, 1, 1]])
    ln3, ln5 = math.log(3), math.log(5)

    bertopic = c_tf_idf(counts, idf_power=1).toarray()
    assert bertopic[0] == pytest.approx([0, 0.4 * ln3, 0.2 * ln5, 0.2 * ln3, 0.2 * ln3])
    assert bertopic[1] == pytest.approx([ln5 / 3, 0, 0, ln3 / 3, ln3 / 3])

    squared = c_tf_idf(counts).toarray()  # default idf power 2
    assert squared[0] == pytest.approx([0, 0.482779584, 0.518058079, 0.241389792, 0.241389792])
    assert squared[1] == pytest.approx([0.863430131, 0, 0, 0.40231632, 0.40231632])

    top = ranked_terms(sp.csr_matrix(squared), vocabulary, n=10)
    # A: "x z" beats x; x and z sit inside "x z" and are dropped; B: ties go to the first keyword.
    assert [t for t, _ in top[0]] == ["x z", "y"]
    assert [t for t, _ in top[1]] == ["w", "y", "z"]


def test_nested_ngrams_collapse():
    ranked = [("large language model", 3.0), ("language model", 2.0), ("reasoning", 1.5), ("model", 1.0), ("rl", 0.5)]
    assert [t for t, _ in distinct_terms(ranked, 10)] == ["large language model", "reasoning", "rl"]
    assert [t for t, _ in distinct_terms(ranked, 2)] == ["large language model", "reasoning"]
