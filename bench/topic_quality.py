"""Topic quality: NPMI coherence and topic diversity of our learned topics against LDA and NMF.

One run, one corpus, one vocabulary: the HF papers of the shared data set (title, abstract,
ai_keywords; falls back to the bundled sample), turned into keywords by the pipeline's
tokeniser (pipelines/topics/text.py). Our learned topics are fitted with the pipeline's
defaults (pipelines/topics/model.py); scikit-learn's LDA (on counts) and NMF (on TF-IDF) are
fitted at the same K on the same papers × keywords matrix. Every model's top-10 keywords go
through the same selection (by weight, nested n-grams collapsed). A second row labels our
clusters with BERTopic's c-TF-IDF (idf power 1) instead of the default power 2.

- NPMI (c_npmi with document co-occurrence): for each topic, the mean over pairs of its top 10
  keywords of ln(P(a,b) / (P(a) P(b))) / -ln P(a,b), where P is the share of the corpus's papers
  that carry the keyword(s); a pair that never co-occurs scores -1. Mean over topics.
- Diversity: distinct keywords among all topics' top 10 / (10 * K).

Prints one table; never asserts. Usage:

    .venv/bin/python bench/topic_quality.py [FOLDER]   # default ../shared/data/hf-daily-papers, else data/sample
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF, LatentDirichletAllocation

from pipelines.settings import REPO_ROOT, SAMPLE_DIR
from pipelines.topics.corpus import keywords_frame, load_hf_folder
from pipelines.topics.ctfidf import c_tf_idf
from pipelines.topics.model import TopicConfig, build_corpus, fit_topics, ranked_terms

TOP_N = 10


def npmi(binary: sp.csc_matrix, columns: list[int]) -> float:
    """Mean NPMI over the pairs of ``columns`` (document co-occurrence on ``binary``)."""
    n_docs = binary.shape[0]
    sub = binary[:, columns]
    df = np.asarray(sub.sum(axis=0)).ravel() / n_docs
    joint = (sub.T @ sub).toarray() / n_docs
    scores = []
    for i in range(len(columns)):
        for j in range(i + 1, len(columns)):
            p_ij = joint[i, j]
            if p_ij <= 0:
                scores.append(-1.0)
            elif p_ij >= 1:
                scores.append(1.0)
            else:
                scores.append(np.log(p_ij / (df[i] * df[j])) / -np.log(p_ij))
    return float(np.mean(scores)) if scores else 0.0


def score(topics: list[list[str]], vocabulary: list[str], binary: sp.csc_matrix) -> tuple[float, float]:
    index = {term: i for i, term in enumerate(vocabulary)}
    coherence = float(np.mean([npmi(binary, [index[t] for t in terms]) for terms in topics]))
    diversity = len({t for terms in topics for t in terms}) / (TOP_N * len(topics))
    return coherence, diversity


def main() -> None:
    shared = REPO_ROOT.parent / "shared" / "data" / "hf-daily-papers"
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else (shared if shared.exists() else SAMPLE_DIR / "hf-daily-papers")
    config = TopicConfig()
    papers = load_hf_folder(folder)
    keywords = keywords_frame(papers).select("paper_id", "keyword", "occurrences")

    start = time.perf_counter()
    fit = fit_topics(keywords, config=config)
    ours_seconds = time.perf_counter() - start
    k = fit.topics.height
    corpus = build_corpus(keywords, config)  # the vocabulary and matrix the fit used
    binary = sp.csc_matrix((corpus.counts > 0).astype(np.float64))

    rows = [("learned (ours)", [list(t) for t in fit.topics["top_terms"].to_list()], ours_seconds)]
    # The same clusters labelled by BERTopic's c-TF-IDF (idf power 1), to show what the power 2 does.
    rows.append(("  same, p = 1", _relabel(fit, corpus, config, idf_power=1.0), 0.0))
    start = time.perf_counter()
    lda = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=50, random_state=0)
    lda.fit(corpus.counts)
    rows.append(("sklearn LDA", _tops(lda.components_, corpus.vocabulary), time.perf_counter() - start))
    start = time.perf_counter()
    nmf = NMF(n_components=k, init="nndsvd", max_iter=500, random_state=0)
    nmf.fit(corpus.tfidf)
    rows.append(("sklearn NMF", _tops(nmf.components_, corpus.vocabulary), time.perf_counter() - start))

    print(f"corpus: {folder} ({papers.height} papers, {corpus.counts.shape[1]} keywords in the vocabulary)")
    print(f"machine: {platform.machine()} {platform.system()}, Python {platform.python_version()}; K = {k}")
    print(f"{'model':<16}{'NPMI':>8}{'diversity':>11}{'seconds':>9}")
    for name, topics, seconds in rows:
        coherence, diversity = score(topics, corpus.vocabulary, binary)
        print(
            f"{name:<16}{coherence:>8.3f}{diversity:>11.3f}{seconds:>9.1f}"
            if seconds
            else f"{name:<16}{coherence:>8.3f}{diversity:>11.3f}"
        )
    print("targets: NPMI >= 0.10 and diversity >= 0.70, both above LDA and NMF")


def _relabel(fit, corpus, config: TopicConfig, idf_power: float) -> list[list[str]]:
    topic_of = dict(fit.assignments.select("paper_id", "topic_id").iter_rows())
    ids = fit.topics["topic_id"].to_list()
    rows = [ids.index(topic_of[p]) for p in corpus.paper_ids]
    membership = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(len(ids), len(rows)))
    weights = c_tf_idf(membership @ (corpus.counts > 0).astype(np.float64), idf_power)
    ranked = ranked_terms(weights, corpus.vocabulary, TOP_N, config.keyword_candidates)
    return [[t for t, _ in terms] for terms in ranked]


def _tops(components: np.ndarray, vocabulary: list[str]) -> list[list[str]]:
    return [[t for t, _ in terms] for terms in ranked_terms(sp.csr_matrix(components), vocabulary, TOP_N)]


if __name__ == "__main__":
    main()
