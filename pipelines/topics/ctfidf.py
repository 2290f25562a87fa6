"""Class-based TF-IDF (c-TF-IDF, as in BERTopic): the keywords that set a topic apart.

Every topic is one class. ``count(t, c)`` is the number of the class's papers that carry
keyword ``t`` (a paper counts a keyword once, however often its abstract repeats it), and::

    tf(t, c)   = count(t, c) / count(·, c)              (share of the class's keyword occurrences)
    idf(t)     = ln(1 + A / count(t, ·))                (A = mean keyword occurrences per class)
    w(t, c)    = tf(t, c) * idf(t) ** p

A keyword frequent in one topic and rare in the others weighs most. ``p = 1`` is BERTopic's
formula; the default ``p = 2`` (config ``ctfidf_idf_power``, dbt var ``ctfidf_idf_power``)
sharpens the idf so that keywords common to many topics ("llm", "image", "benchmark") give way
to the ones that set a topic apart (bench/RESULTS.md has the figures for both). The dbt model
``int_topic_keyword_weights`` computes the same formula in SQL for every topic kind; both are
checked against the same hand-worked corpus (tests/test_topics_text.py, _topics__unit_tests.yml).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def c_tf_idf(class_counts: sp.spmatrix | np.ndarray, idf_power: float = 2.0) -> sp.csr_matrix:
    """Rows = classes, columns = keywords, values = count(t, c) → c-TF-IDF weights (same shape)."""
    counts = sp.csr_matrix(class_counts, dtype=np.float64)
    class_totals = np.asarray(counts.sum(axis=1)).ravel()
    term_totals = np.asarray(counts.sum(axis=0)).ravel()
    nonempty = class_totals > 0
    if not nonempty.any():
        return counts
    average = class_totals[nonempty].mean()
    with np.errstate(divide="ignore"):
        idf = np.where(term_totals > 0, np.log1p(average / np.maximum(term_totals, 1e-300)), 0.0)
    inverse_totals = np.where(nonempty, 1.0 / np.where(nonempty, class_totals, 1.0), 0.0)
    tf = sp.diags(inverse_totals) @ counts
    return sp.csr_matrix(tf @ sp.diags(idf**idf_power))
