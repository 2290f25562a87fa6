-- One row per keyword of the vocabulary: how many papers carry it, in the text, the title or
-- their HF ai_keywords, and when it was first listed.
with

paper_keywords as (

    select * from {{ ref('paper_keywords') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

corpus as (

    select count(distinct paper_id) as papers from paper_keywords

),

stats as (

    select
        paper_keywords.keyword,
        any_value(paper_keywords.words) as words,
        count(*) as paper_count,
        count(*) filter (where paper_keywords.title_occurrences > 0) as title_paper_count,
        count(*) filter (where paper_keywords.from_ai_keywords) as ai_keyword_paper_count,
        sum(paper_keywords.occurrences) as occurrences,
        min(papers.first_listed_on) as first_listed_on

    from paper_keywords
    inner join papers
        on paper_keywords.paper_id = papers.paper_id
    group by paper_keywords.keyword

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
