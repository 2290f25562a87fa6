-- One row per (paper, keyword) of the paper's newest snapshot that has ai_keywords (the order
-- dim_papers uses for HF attributes: as_of desc, HF first, then landing_path, position).
-- keyword = lowercase, whitespace collapsed. int_paper_keywords_normalized folds plurals on top.
-- Incremental (macros/incremental.sql): a paper's keywords depend on its own snapshots only, so a
-- run recomputes the changed papers; unnesting and cleaning every paper's keywords on every run
-- was a cost of the whole history.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
with

snapshots as (

    select * from {{ ref('int_papers_resolved') }}
    where
        ai_keywords is not null
        {% if is_incremental() %}
            and paper_id in ({{ changed_papers() }})
        {% endif %}

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

)

select * from keywords
where keyword is not null
