-- One row per (paper, keyword) from the paper's newest snapshot that has ai_keywords
-- (int_paper_ai_keywords). topic_label folds a trailing plural 's' when the singular also occurs
-- as a keyword anywhere ('llms' -> 'llm'): a view, since the folding reads every paper's keywords.
with

keywords as (

    select * from {{ ref('int_paper_ai_keywords') }}

),

vocabulary as (

    select distinct keyword from keywords

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

)

select * from folded
