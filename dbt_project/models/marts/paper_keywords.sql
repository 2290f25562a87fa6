-- One row per paper and keyword of the vocabulary (dim_keywords): occurrences in title and
-- abstract, whether the paper's HF ai_keywords carry it, and a TF-IDF weight within the paper:
-- tfidf = (1 + ln occurrences) * (ln((1 + N) / (1 + paper_count)) + 1), N = papers with keywords.
with

terms as (

    select * from {{ ref('stg_learned__paper_terms') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

document_frequency as (

    select
        keyword,
        count(*) as paper_count

    from terms
    group by keyword

),

corpus as (

    select count(distinct paper_id) as papers from terms

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
            * (ln((1 + corpus.papers) / (1 + document_frequency.paper_count)) + 1),
            6
        ) as tfidf

    from terms
    inner join papers
        on terms.paper_id = papers.paper_id
    inner join document_frequency
        on terms.keyword = document_frequency.keyword
    cross join corpus

)

select * from final
order by paper_id, keyword
