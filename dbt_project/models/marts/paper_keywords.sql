-- One row per paper and keyword of the vocabulary (dim_keywords): occurrences in title and
-- abstract, whether the paper's HF ai_keywords carry it, and a TF-IDF weight within the paper:
-- tfidf = (1 + ln occurrences) * (ln((1 + N) / (1 + paper_count)) + 1), N = papers with keywords.
--
-- A view: N and every keyword's paper_count change with each new paper, so a table would have
-- every row rewritten on every run (about 80 per paper); the view computes the weight when read,
-- from dim_keywords' paper_count and int_keyword_corpus' N, both tables.
{{ config(materialized='view') }}
with

terms as (

    select * from {{ ref('stg_learned__paper_terms') }}

),

keywords as (

    select * from {{ ref('dim_keywords') }}

),

corpus as (

    select * from {{ ref('int_keyword_corpus') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

final as (

    select
        terms.paper_id,
        terms.keyword,
        terms.words,
        terms.occurrences,
        terms.title_occurrences,
        terms.from_ai_keywords,
        round(
            (1 + ln(terms.occurrences))
            * (ln((1 + corpus.papers) / (1 + keywords.paper_count)) + 1),
            6
        ) as tfidf

    from terms
    inner join papers
        on terms.paper_id = papers.paper_id
    inner join keywords
        on terms.keyword = keywords.keyword
    cross join corpus

)

select * from final
order by paper_id, keyword
