"""Topics in Python: the keyword tokeniser, c-TF-IDF, learned topics and their stable ids.

- :mod:`pipelines.topics.text` turns a title, an abstract and HF ai_keywords into keyword
  counts (LaTeX and URLs stripped, stopwords removed, 1–3-grams, plurals folded).
- :mod:`pipelines.topics.ctfidf` weights the keywords of each topic (class) by c-TF-IDF.
- :mod:`pipelines.topics.model` clusters papers (TF-IDF → LSA → spherical k-means) and keeps
  topic ids stable across runs by warm-starting from, and Hungarian-matching against, the
  registry of earlier runs (:mod:`pipelines.topics.registry`).
- :mod:`pipelines.topics.store` reads dim_papers and writes the ``raw.learned_*`` tables.
"""
