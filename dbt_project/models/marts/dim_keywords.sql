-- One row per keyword of the vocabulary: how many papers carry it, in the text, the title or
-- their HF ai_keywords, and when it was first listed. Read from the keywords of the learned step
-- (stg_learned__paper_terms) of the papers in dim_papers: paper_keywords, a view, reads this
-- table for its document frequencies.
with

terms as (

    select * from {{ ref('stg_learned__paper_terms') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

corpus as (

    select * from {{ ref('int_keyword_corpus') }}

),

stats as (

    select
        terms.keyword,
        any_value(terms.words) as words,
        count(*) as paper_count,
        count(*) filter (where terms.title_occurrences > 0) as title_paper_count,
        count(*) filter (where terms.from_ai_keywords) as ai_keyword_paper_count,
        sum(terms.occurrences) as occurrences,
        min(papers.first_listed_on) as first_listed_on

    from terms
    inner join papers
        on terms.paper_id = papers.paper_id
    group by terms.keyword

),

final as (

    select
        stats.keyword,
        stats.words,
        stats.paper_count,
        stats.title_paper_count,
        stats.ai_keyword_paper_count,
        cast(stats.occurrences as bigint) as occurrences,
        round(stats.paper_count / corpus.papers, 6) as paper_share,
        stats.first_listed_on

    from stats
    cross join corpus

)

select * from final
order by keyword
