"""Learned topics: cluster papers on their keywords, label them by c-TF-IDF, keep their ids.

The fit (:func:`fit_topics`) is a pure function of the papers' keyword counts, the
configuration and the previous run's state (:class:`Previous`: the registry of every topic id
ever issued, and the previous paper → topic assignment):

1. Keywords carried by at least ``min_df`` papers and at most ``max_df`` of them form the
   vocabulary; papers are TF-IDF vectors (sublinear tf, l2) reduced by LSA (TruncatedSVD,
   fixed ``random_state``) to unit vectors.
2. Start centroids. Without history: k-means++ k-means with ``n_topics`` clusters (at most one
   per ``min_topic_size`` papers). With history (warm start): one centroid per previous active
   topic, the mean of the vectors of its previous papers present now, so that the clusters of
   the last run are where this run starts.
3. Spherical k-means (assign by cosine, centroid = normalised mean) runs until no paper
   changes cluster. Then a cluster smaller than ``min_topic_size`` is dissolved into the others,
   and a cluster that 2-means splits into two parts of at least ``min_topic_size`` whose
   centroids' cosine is below ``split_max_similarity`` is split (a new subject has arrived
   inside it); after either, k-means runs again. The loop ends when nothing changes, so the
   result is a fixed point: fitting the same papers again from it returns it unchanged.
4. Ids (:mod:`pipelines.topics.registry`): each cluster's term distribution (the mean TF-IDF
   vector of its papers, top ``centroid_terms`` keywords, l2) is matched to the registry's by
   the Hungarian method on cosine similarity; a pair at or above ``match_threshold`` keeps the
   registry id; every other cluster gets the next new id; a registry topic left unmatched is
   retired, never deleted, and can be matched again later (revived).
5. Labels: each cluster's top c-TF-IDF keywords (:mod:`pipelines.topics.ctfidf`), nested n-grams collapsed (``large language
   model`` keeps out ``language model``); the label is the first ``label_terms`` of them.

Above ``fit_sample`` papers, steps 1 to 3 run on a sample of that many (the papers whose md5 of
the id is smallest: deterministic, and a paper stays in it until the history outgrows it), and
every other paper is placed at its nearest centroid as a daily run places a new paper; sizes,
events and ids count every paper, labels and term distributions come from the sample. The
clustering's dissolve/split rounds grow faster than the papers (198 s at 100k papers against
14 s at 20k, bench/RESULTS.md), so a fit costs a bounded clustering plus a linear placement.

A fit keeps what it takes to place a new paper among its clusters (:class:`TopicModel`: the
vocabulary, its idf, the LSA projection and the centroids with their ids), and
:func:`assign_topics` does exactly that: the paper's keyword counts go through the same
TF-IDF and LSA and the paper joins the cluster of the nearest centroid (cosine), the rule a
paper of the fit itself obeys at the k-means fixed point. That is the daily path (see
:mod:`pipelines.defs.learned_topics`): it costs what the new papers cost, not the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl
import scipy.sparse as sp

# scikit-learn is imported in the functions that fit or project: loading the Dagster definitions
# (every run, every process that imports them) then costs neither its import time nor its memory.
from pipelines.topics.ctfidf import c_tf_idf
from pipelines.topics.registry import Event, RegistryTopic, assign_ids


@dataclass(frozen=True)
class TopicConfig:
    """Learned-topic parameters (the Dagster asset's config; defaults documented in the README)."""

    n_topics: int = 30  # clusters of a fit without history (capped at papers // min_topic_size)
    min_topic_size: int = 10  # a smaller cluster is dissolved; split parts must be at least this big
    min_papers: int = 40  # fewer papers with keywords: no learned topics this run
    min_df: int = 3  # a keyword clusters when at least this many papers carry it ...
    max_df: float = 0.4  # ... and at most this share of the papers
    svd_components: int = 100  # LSA dimensions
    split_max_similarity: float = 0.3  # split a cluster whose 2-means parts are less similar than this
    match_threshold: float = 0.5  # term-distribution cosine needed to keep a registry id
    centroid_terms: int = 50  # keywords kept per topic term distribution (registry, matching)
    top_terms: int = 10  # c-TF-IDF keywords listed per topic
    keyword_candidates: int = 50  # ... chosen among this many best, nested n-grams collapsed
    ctfidf_idf_power: float = 2.0  # c-TF-IDF idf exponent (1 = BERTopic's formula; see ctfidf.py)
    label_terms: int = 3  # of which the label shows this many
    random_state: int = 42
    max_iter: int = 300  # k-means iterations per round
    max_rounds: int = 100  # dissolve/split rounds
    fit_sample: int = 40_000  # papers a fit clusters; the others are placed at the nearest centroid
    # Daily runs assign new papers to the last fit's topics; a run refits (warm-started, ids kept
    # by the registry) once the papers assigned since the fit reach this share of the fit's papers.
    # A fit costs the history, but the history has grown by this share since the last one, so
    # fitting stays O(new) per paper amortised (1 / refit_fraction fits' worth per N papers).
    refit_fraction: float = 0.25


@dataclass
class Previous:
    """What earlier runs left: every topic id ever issued, and the last paper → topic assignment."""

    registry: list[RegistryTopic] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)


@dataclass
class TopicModel:
    """What placing a new paper among a fit's clusters needs (the fit's feature space and centroids)."""

    vocabulary: list[str]  # the fit's keywords, in column order
    idf: np.ndarray  # (V,) TF-IDF idf of each keyword
    components: np.ndarray  # (d, V) LSA projection
    centroids: np.ndarray  # (k, d) unit centroids
    topic_ids: list[str]  # the registry id of each centroid
    papers: int  # papers the fit placed (clustered or, past fit_sample, at the nearest centroid)


@dataclass
class TopicFit:
    assignments: pl.DataFrame  # paper_id, topic_id, similarity
    topics: pl.DataFrame  # topic_id, label, papers, top_terms, top_weights
    registry: list[RegistryTopic]
    events: list[Event]
    diagnostics: dict
    vocabulary: list[str] = field(default_factory=list)  # keywords the fit clustered on
    model: TopicModel | None = None  # None when the fit was skipped (too few papers)


ASSIGNMENT_SCHEMA = {"paper_id": pl.Utf8, "topic_id": pl.Utf8, "similarity": pl.Float64}
PLACED_SCHEMA = {"paper_id": pl.Utf8, "cluster": pl.Int64}
TOPIC_SCHEMA = {
    "topic_id": pl.Utf8,
    "label": pl.Utf8,
    "papers": pl.Int64,
    "top_terms": pl.List(pl.Utf8),
    "top_weights": pl.List(pl.Float64),
}


@dataclass
class Corpus:
    """Papers × vocabulary: raw counts, and the unit LSA vectors the clustering runs on."""

    paper_ids: list[str]
    vocabulary: list[str]
    counts: sp.csr_matrix
    tfidf: sp.csr_matrix
    vectors: np.ndarray
    idf: np.ndarray | None = None
    components: np.ndarray | None = None


def count_matrix(keywords: pl.DataFrame, vocabulary: list[str]) -> tuple[list[str], sp.csr_matrix]:
    """Papers (sorted ids) × ``vocabulary`` occurrence counts; keywords outside it are dropped."""
    keywords = keywords.select("paper_id", "keyword", pl.col("occurrences").cast(pl.Float64))
    columns = pl.DataFrame(
        {"keyword": vocabulary, "col": np.arange(len(vocabulary), dtype=np.int64)},
        schema={"keyword": pl.Utf8, "col": pl.Int64},
    )
    kept = keywords.join(columns, on="keyword", how="inner")
    paper_ids = sorted(kept["paper_id"].unique().to_list())
    rows = pl.DataFrame(
        {"paper_id": paper_ids, "row": np.arange(len(paper_ids), dtype=np.int64)},
        schema={"paper_id": pl.Utf8, "row": pl.Int64},
    )
    kept = kept.join(rows, on="paper_id", how="inner")
    counts = sp.csr_matrix(
        (kept["occurrences"].to_numpy(), (kept["row"].to_numpy(), kept["col"].to_numpy())),
        shape=(len(paper_ids), len(vocabulary)),
    )
    counts.sum_duplicates()
    counts.sort_indices()
    return paper_ids, counts


def build_corpus(keywords: pl.DataFrame, config: TopicConfig) -> Corpus:
    """``keywords``: paper_id, keyword, occurrences (one row per paper and keyword)."""
    n_papers = keywords["paper_id"].n_unique()
    df = keywords.group_by("keyword").agg(pl.col("paper_id").n_unique().alias("df"))
    vocabulary = (
        df.filter((pl.col("df") >= config.min_df) & (pl.col("df") <= config.max_df * n_papers))
        .sort("keyword")["keyword"]
        .to_list()
    )
    paper_ids, counts = count_matrix(keywords, vocabulary)
    if not paper_ids or len(vocabulary) < 2:
        return Corpus(paper_ids, vocabulary, counts, counts, np.zeros((len(paper_ids), 0)))
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.preprocessing import normalize

    transformer = TfidfTransformer(sublinear_tf=True)
    tfidf = transformer.fit_transform(counts).tocsr()
    components = max(1, min(config.svd_components, len(vocabulary) - 1, len(paper_ids) - 1))
    svd = TruncatedSVD(n_components=components, random_state=config.random_state)
    vectors = normalize(svd.fit_transform(tfidf))
    return Corpus(paper_ids, vocabulary, counts, tfidf, vectors, transformer.idf_, svd.components_)


def project(counts: sp.csr_matrix, idf: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Counts → unit LSA vectors, as :func:`build_corpus` computes them (sublinear tf, idf, l2, LSA, l2)."""
    from sklearn.preprocessing import normalize

    tf = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    tf.data = 1.0 + np.log(tf.data)
    tfidf = normalize(tf @ sp.diags(idf))
    return normalize(np.asarray(tfidf @ components.T))


# Papers placed per block: the projection holds a (block, LSA dimensions) array, not the history's,
# and each block's keyword frame is copied a few times on its way to a sparse matrix. At 1M papers
# (112 keywords a paper) blocks of 50k took the fit's process to 2.9 GB, blocks of 10k to 1.8 GB,
# in the same time.
PLACE_BLOCK = 10_000


def nearest_centroids(
    keywords: pl.DataFrame, vocabulary: list[str], idf: np.ndarray, components: np.ndarray, centroids: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Papers with a vocabulary keyword (sorted ids), each one's nearest centroid and its cosine."""
    paper_ids, counts = count_matrix(keywords, vocabulary)
    kept: list[str] = []
    best_parts, similarity_parts = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    for start in range(0, len(paper_ids), PLACE_BLOCK):
        vectors = project(counts[start : start + PLACE_BLOCK], idf, components)
        usable = np.linalg.norm(vectors, axis=1) > 0
        similarity = vectors[usable] @ centroids.T
        best = np.argmax(similarity, axis=1)
        kept.extend(p for p, ok in zip(paper_ids[start : start + PLACE_BLOCK], usable, strict=True) if ok)
        best_parts.append(best)
        similarity_parts.append(similarity[np.arange(best.shape[0]), best])
    return kept, np.concatenate(best_parts), np.concatenate(similarity_parts)


def assign_topics(keywords: pl.DataFrame, model: TopicModel) -> pl.DataFrame:
    """Each paper to the topic of its nearest centroid (cosine); papers with no vocabulary keyword get none."""
    if model.centroids.shape[0] == 0:
        return pl.DataFrame(schema=ASSIGNMENT_SCHEMA)
    paper_ids, best, similarity = nearest_centroids(
        keywords, model.vocabulary, model.idf, model.components, model.centroids
    )
    return pl.DataFrame(
        {
            "paper_id": paper_ids,
            "topic_id": [model.topic_ids[c] for c in best],
            "similarity": np.round(similarity, 6),
        },
        schema=ASSIGNMENT_SCHEMA,
    ).sort("paper_id")


# The papers a fit clusters past ``fit_sample``: those with the smallest md5 of their id. One query
# for a frame (:func:`fit_sample`) and for the warehouse's staged keywords (store.fit_keywords),
# in DuckDB: the md5 of a million ids in Python left 0.1 GB of strings behind.
SAMPLE_SQL = (
    "SELECT paper_id FROM (SELECT DISTINCT paper_id FROM {source}) ORDER BY md5(paper_id), paper_id LIMIT {size}"
)


def fit_sample(keywords: pl.DataFrame, size: int) -> pl.DataFrame | None:
    """The ``size`` papers with the smallest md5 of their id, or None when there are no more than that."""
    if keywords["paper_id"].n_unique() <= size:
        return None
    con = duckdb.connect()
    try:
        con.register("sample_source", keywords.select("paper_id").to_arrow())
        return con.sql(SAMPLE_SQL.format(source="sample_source", size=int(size))).pl()
    finally:
        con.close()


def _indicator(labels: np.ndarray, k: int) -> sp.csr_matrix:
    n = labels.shape[0]
    return sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))


def _centroids(vectors: np.ndarray, labels: np.ndarray, k: int, previous: np.ndarray | None = None) -> np.ndarray:
    sums = _indicator(labels, k) @ vectors
    norms = np.linalg.norm(sums, axis=1)
    centroids = sums / np.where(norms > 0, norms, 1.0)[:, None]
    if previous is not None:  # an emptied cluster keeps its place until it is dissolved
        centroids[norms == 0] = previous[norms == 0]
    return centroids


def spherical_kmeans(vectors: np.ndarray, centroids: np.ndarray, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd iterations on the unit sphere until no paper changes cluster (a fixed point)."""
    labels = np.argmax(vectors @ centroids.T, axis=1)
    for _ in range(max_iter):
        centroids = _centroids(vectors, labels, centroids.shape[0], centroids)
        updated = np.argmax(vectors @ centroids.T, axis=1)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels, centroids


def _best_split(
    vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray, config: TopicConfig
) -> tuple[int, np.ndarray] | None:
    """The cluster whose 2-means parts are most distinct, if below split_max_similarity."""
    from sklearn.cluster import KMeans

    best: tuple[float, int, np.ndarray] | None = None
    sizes = np.bincount(labels, minlength=centroids.shape[0])
    for cluster in np.argsort(-sizes, kind="stable"):
        if sizes[cluster] < 2 * config.min_topic_size:
            break
        members = vectors[labels == cluster]
        halves = KMeans(n_clusters=2, n_init=3, random_state=config.random_state).fit_predict(members)
        halves, parts = spherical_kmeans(members, _centroids(members, halves, 2), config.max_iter)
        if min(np.bincount(halves, minlength=2)) < config.min_topic_size:
            continue
        similarity = float(parts[0] @ parts[1])
        if similarity < config.split_max_similarity and (best is None or similarity < best[0]):
            best = (similarity, int(cluster), parts)
    return None if best is None else (best[1], best[2])


def cluster(
    vectors: np.ndarray, initial: np.ndarray | None, config: TopicConfig
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Papers → cluster labels 0..k-1 (step 2 and 3 of the module doc)."""
    from sklearn.cluster import KMeans

    n = vectors.shape[0]
    stats = {"dissolved": 0, "split": 0, "rounds": 0}
    if initial is None or initial.shape[0] == 0:
        k = max(1, min(config.n_topics, n // config.min_topic_size))
        labels = KMeans(n_clusters=k, n_init=4, random_state=config.random_state).fit_predict(vectors)
        initial = _centroids(vectors, labels, k)
    centroids = initial
    for _ in range(config.max_rounds):
        stats["rounds"] += 1
        labels, centroids = spherical_kmeans(vectors, centroids, config.max_iter)
        sizes = np.bincount(labels, minlength=centroids.shape[0])
        small = sizes < config.min_topic_size
        if small.any() and not small.all():
            stats["dissolved"] += int(small.sum())
            centroids = centroids[~small]
            continue
        split = _best_split(vectors, labels, centroids, config)
        if split is None:
            break
        stats["split"] += 1
        index, parts = split
        centroids = np.vstack([np.delete(centroids, index, axis=0), parts])
    return labels, centroids, stats


def distinct_terms(ranked: list[tuple[str, float]], n: int, candidates: int = 50) -> list[tuple[str, float]]:
    """Among the first ``candidates`` keywords, drop each that contains or sits inside (as whole words)
    a better-ranked candidate; keep the first n of the rest. The dbt mart topic_keywords applies the
    same rule, so labels and top keywords agree."""
    pool = ranked[:candidates]
    padded = [f" {term} " for term, _ in pool]
    kept = [
        pool[i] for i in range(len(pool)) if not any(padded[j] in padded[i] or padded[i] in padded[j] for j in range(i))
    ]
    return kept[:n]


def ranked_terms(
    weights: sp.csr_matrix, vocabulary: list[str], n: int, candidates: int = 50
) -> list[list[tuple[str, float]]]:
    """Per class: its distinct top-n keywords by weight (weight desc, keyword asc)."""
    weights = sp.csr_matrix(weights)
    out = []
    for row in range(weights.shape[0]):
        start, end = weights.indptr[row], weights.indptr[row + 1]
        pairs = [
            (vocabulary[j], float(w))
            for j, w in zip(weights.indices[start:end], weights.data[start:end], strict=True)
            if w > 0
        ]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        out.append(distinct_terms(pairs, n, candidates))
    return out


def term_distributions(corpus: Corpus, labels: np.ndarray, k: int, n_terms: int) -> list[dict[str, float]]:
    """Each cluster's mean TF-IDF vector, its n_terms heaviest keywords, l2-normalised."""
    means = sp.csr_matrix(_indicator(labels, k) @ corpus.tfidf)
    out = []
    for row in range(k):
        start, end = means.indptr[row], means.indptr[row + 1]
        pairs = sorted(
            zip(means.indices[start:end], means.data[start:end], strict=True),
            key=lambda p: (-p[1], corpus.vocabulary[p[0]]),
        )[:n_terms]
        norm = float(np.sqrt(sum(w * w for _, w in pairs))) or 1.0
        out.append({corpus.vocabulary[j]: round(float(w) / norm, 9) for j, w in pairs})
    return out


def fit_topics(
    keywords: pl.DataFrame,
    previous: Previous | None = None,
    config: TopicConfig | None = None,
    others: Iterable[pl.DataFrame] | None = None,
) -> TopicFit:
    """Cluster, label and identify the papers' topics (see the module doc).

    ``keywords``: paper_id, keyword, occurrences of every paper, of which the fit takes its
    sample; or, with ``others`` (blocks of the other papers' keywords, placed block by block),
    the sample alone (the warehouse path: pipelines/topics/store.py fit_keywords).
    """
    config = config or TopicConfig()
    previous = previous or Previous()
    if others is None:
        sample = fit_sample(keywords, config.fit_sample)
        if sample is not None:
            others = [keywords.join(sample, on="paper_id", how="anti")]
            keywords = keywords.join(sample, on="paper_id", how="semi")
    corpus = build_corpus(keywords, config)
    usable = np.linalg.norm(corpus.vectors, axis=1) > 0 if corpus.vectors.size else np.zeros(0, dtype=bool)
    paper_ids = [p for p, ok in zip(corpus.paper_ids, usable, strict=True) if ok]
    diagnostics = {"papers": len(paper_ids), "vocabulary": len(corpus.vocabulary)}
    if len(paper_ids) < max(config.min_papers, 2 * config.min_topic_size):
        # No fit, no change: the registry stays as it is (no id is retired for want of papers).
        registry, events = list(previous.registry), []
        diagnostics["skipped"] = f"{len(paper_ids)} papers with keywords, fewer than min_papers={config.min_papers}"
        return TopicFit(
            pl.DataFrame(schema=ASSIGNMENT_SCHEMA),
            pl.DataFrame(schema=TOPIC_SCHEMA),
            registry,
            events,
            diagnostics,
            corpus.vocabulary,
        )
    vectors = corpus.vectors[usable]
    corpus = Corpus(
        paper_ids,
        corpus.vocabulary,
        corpus.counts[usable],
        corpus.tfidf[usable],
        vectors,
        corpus.idf,
        corpus.components,
    )

    # Warm start: previous active topics, in id order, at the mean of their papers still present
    # (computed exactly as k-means computes a centroid, so that a refit of the same papers is a no-op).
    active = sorted(t.topic_id for t in previous.registry if t.status == "active")
    slot = {topic_id: i for i, topic_id in enumerate(active)}
    warm_labels = np.array([slot.get(previous.assignments.get(p, ""), -1) for p in paper_ids])
    present = sorted(set(warm_labels[warm_labels >= 0].tolist()))
    initial = None
    if present:
        relabel = np.full(len(active), -1)
        relabel[present] = np.arange(len(present))
        keep = warm_labels >= 0
        initial = _centroids(vectors[keep], relabel[warm_labels[keep]], len(present))
    diagnostics["warm_start_topics"] = len(present)

    labels, centroids, stats = cluster(vectors, initial, config)
    diagnostics |= stats
    k = centroids.shape[0]
    placed_ids: list[str] = []
    placed_labels, placed_similarity = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    if others is not None:
        for block in others:
            block_ids, block_labels, block_similarity = nearest_centroids(
                block, corpus.vocabulary, corpus.idf, corpus.components, centroids
            )
            placed_ids += block_ids
            placed_labels.append(block_labels)
            placed_similarity.append(block_similarity)
        diagnostics |= {"clustered": len(paper_ids), "placed": len(placed_ids)}
        diagnostics["papers"] = len(paper_ids) + len(placed_ids)
    every_label = np.concatenate([labels, *placed_labels])
    sizes = np.bincount(every_label, minlength=k)
    distributions = term_distributions(corpus, labels, k, config.centroid_terms)
    first = dict(
        pl.DataFrame({"paper_id": paper_ids + placed_ids, "cluster": every_label}, schema=PLACED_SCHEMA)
        .group_by("cluster")
        .agg(pl.col("paper_id").min())
        .iter_rows()
    )
    first_paper = [first.get(c, "") for c in range(k)]
    registry, events, ids = assign_ids(
        [(distributions[c], int(sizes[c]), first_paper[c]) for c in range(k)],
        previous.registry,
        config.match_threshold,
        previous_sizes=_previous_sizes(previous),
        return_ids=True,
    )

    presence = (corpus.counts > 0).astype(np.float64)
    weights = c_tf_idf(_indicator(labels, k) @ presence, config.ctfidf_idf_power)
    ranked = ranked_terms(weights, corpus.vocabulary, config.top_terms, config.keyword_candidates)
    similarity = np.concatenate([np.einsum("ij,ij->i", vectors, centroids[labels]), *placed_similarity])
    assignments = pl.DataFrame(
        {
            "paper_id": paper_ids + placed_ids,
            "topic_id": [ids[c] for c in every_label],
            "similarity": np.round(similarity, 6),
        },
        schema=ASSIGNMENT_SCHEMA,
    ).sort("paper_id")
    topics = pl.DataFrame(
        {
            "topic_id": ids,
            "label": [" / ".join(t for t, _ in terms[: config.label_terms]) for terms in ranked],
            "papers": sizes.astype(np.int64),
            "top_terms": [[t for t, _ in terms] for terms in ranked],
            "top_weights": [[round(w, 9) for _, w in terms] for terms in ranked],
        },
        schema=TOPIC_SCHEMA,
    ).sort("topic_id")
    labels_by_id = dict(zip(topics["topic_id"], topics["label"], strict=True))
    registry = [t.with_label(labels_by_id.get(t.topic_id, t.label)) for t in registry]
    model = TopicModel(corpus.vocabulary, corpus.idf, corpus.components, centroids, list(ids), len(every_label))
    return TopicFit(assignments, topics, registry, events, diagnostics, corpus.vocabulary, model)


def _previous_sizes(previous: Previous) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for topic_id in previous.assignments.values():
        sizes[topic_id] = sizes.get(topic_id, 0) + 1
    return sizes
