-- One row per (paper, keyword) from the paper's newest snapshot that has ai_keywords
-- (same order as dim_papers). keyword = lowercase, whitespace collapsed; topic_label folds a
-- trailing plural 's' when the singular also occurs as a keyword ('llms' -> 'llm').
with

snapshots as (

    select * from {{ ref('int_papers_resolved') }}

),

latest_keywords as (

    select
        paper_id,
        ai_keywords,
        row_number() over (
            partition by paper_id
            order by
                as_of desc,
                case source when 'hf_daily_papers' then 0 else 1 end asc,
                landing_path asc,
                position asc
        ) as recency_rank

    from snapshots
    where ai_keywords is not null

),

unnested as (

    select
        paper_id,
        unnest(ai_keywords) as keyword_raw

    from latest_keywords
    where recency_rank = 1

),

keywords as (

    select distinct
        paper_id,
        {{ clean_whitespace('lower(keyword_raw)') }} as keyword

    from unnested

),

vocabulary as (

    select distinct keyword from keywords
    where keyword is not null

),

folded as (

    select
        keywords.paper_id,
        keywords.keyword,
        case
            when
                keywords.keyword like '%s'
                and keywords.keyword not like '%ss'
                and length(keywords.keyword) > 3
                and singular.keyword is not null
                then singular.keyword
            else keywords.keyword
        end as topic_label

    from keywords
    left join vocabulary as singular
        on singular.keyword = left(keywords.keyword, length(keywords.keyword) - 1)
    where keywords.keyword is not null

)

select * from folded
