-- Top var('trending_top_n') papers per as-of date and window (day, ISO week, month), with every score
-- component as a column (formulas: int_trending_papers_scored). Ties break deterministically:
-- score desc, upvotes desc, velocity desc (nulls last), listed_on desc, paper_id asc.
--
-- Incremental (macros/incremental.sql): a run recomputes the rankings whose window a changed day
-- or a changed paper's listing day reaches (trending_dates_list), the same as-of dates that
-- int_trending_papers_scored rescored in this run.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='trending_dates',
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_daily_listings_latest') }}
-- depends_on: {{ ref('int_papers_resolved') }}
with

scored as (

    select * from {{ ref('int_trending_papers_scored') }}
    {% if is_incremental() %}
        where as_of_date in ({{ trending_dates_list() }})
    {% endif %}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

attributed as (

    select * from {{ ref('int_papers_attributed') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by as_of_date, window_type
            order by
                score desc,
                upvotes desc,
                velocity_per_hour desc nulls last,
                listed_on desc,
                paper_id asc
        ) as rank

    from scored

),

final as (

    select
        ranked.as_of_date,
        ranked.window_type,
        ranked.window_start,
        ranked.as_of_at,
        cast(ranked.rank as integer) as rank,
        ranked.paper_id,
        ranked.score,
        ranked.upvotes,
        ranked.comments,
        ranked.has_code,
        ranked.velocity_per_hour,
        ranked.age_hours,
        ranked.decay,
        ranked.gravity,
        ranked.upvotes_component,
        ranked.comments_component,
        ranked.code_component,
        ranked.velocity_component,
        ranked.gravity_component,
        ranked.listed_on,
        ranked.snapshot_as_of,
        papers.primary_category,
        attributed.submitted_by,
        attributed.organization

    from ranked
    left join papers
        on ranked.paper_id = papers.paper_id
    left join attributed
        on ranked.paper_id = attributed.paper_id
    where ranked.rank <= {{ var('trending_top_n') }}

)

select * from final
order by
    as_of_date,
    case window_type when 'day' then 1 when 'week' then 2 else 3 end,
    rank
