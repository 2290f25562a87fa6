-- Top N papers per period (day, ISO week starting Monday, month) among the papers listed in it.
-- Each paper is scored on its latest snapshot at or before the end of the period; a paper whose
-- only snapshots are later (added by a later re-fetch) is scored on its earliest one. Only HF and
-- seed page snapshots are scored: arXiv listing observations carry no engagement.
-- score = w_upvotes * ln(1 + upvotes) + w_comments * ln(1 + comments) + w_code * has_code,
-- components and score rounded to 6 decimals; ties: score desc, upvotes desc, paper_id asc.
with

listings as (

    select * from {{ ref('int_daily_listings_latest') }}

),

snapshots as (

    -- Only observations that carry engagement: arXiv listings have no upvotes or comments.
    select * from {{ ref('fct_paper_snapshots') }}
    where source in ('hf_daily_papers', 'seed_page')

),

period_types as (

    select unnest(['day', 'week', 'month']) as period_type

),

listed as (

    select distinct
        period_types.period_type,
        cast(date_trunc(period_types.period_type, listings.listing_date) as date) as period_start,
        listings.paper_id

    from listings
    cross join period_types

),

periods as (

    select
        *,
        cast(
            period_start + case period_type
                when 'day' then interval 1 day
                when 'week' then interval 7 day
                else interval 1 month
            end as date
        ) as period_end_exclusive

    from listed

),

snapshot_choice as (

    select
        periods.period_type,
        periods.period_start,
        periods.period_end_exclusive,
        periods.paper_id,
        snapshots.as_of as snapshot_as_of,
        coalesce(snapshots.upvotes, 0) as upvotes,
        coalesce(snapshots.comments, 0) as comments,
        snapshots.github_repo is not null as has_code,
        row_number() over (
            partition by periods.period_type, periods.period_start, periods.paper_id
            order by
                snapshots.as_of < periods.period_end_exclusive desc,
                case when snapshots.as_of < periods.period_end_exclusive then snapshots.as_of end desc,
                snapshots.as_of asc,
                case snapshots.source when 'hf_daily_papers' then 0 else 1 end asc,
                snapshots.landing_path asc,
                snapshots.position asc
        ) as snapshot_rank

    from periods
    inner join snapshots
        on periods.paper_id = snapshots.paper_id

),

scored as (

    select
        period_type,
        period_start,
        cast(period_end_exclusive - interval 1 day as date) as period_end,
        paper_id,
        snapshot_as_of,
        upvotes,
        comments,
        has_code,
        round({{ var('w_upvotes') }} * ln(1 + upvotes), 6) as upvotes_component,
        round({{ var('w_comments') }} * ln(1 + comments), 6) as comments_component,
        round({{ var('w_code') }} * cast(has_code as integer), 6) as code_component,
        round(
            {{ var('w_upvotes') }} * ln(1 + upvotes)
            + {{ var('w_comments') }} * ln(1 + comments)
            + {{ var('w_code') }} * cast(has_code as integer),
            6
        ) as score

    from snapshot_choice
    where snapshot_rank = 1

),

ranked as (

    select
        *,
        row_number() over (
            partition by period_type, period_start
            order by score desc, upvotes desc, paper_id asc
        ) as rank

    from scored

),

final as (

    select
        period_type,
        period_start,
        period_end,
        cast(rank as integer) as rank,
        paper_id,
        cast(score as double) as score,
        upvotes,
        comments,
        has_code,
        cast(upvotes_component as double) as upvotes_component,
        cast(comments_component as double) as comments_component,
        cast(code_component as double) as code_component,
        snapshot_as_of

    from ranked
    where rank <= {{ var('trending_top_n') }}

)

select * from final
order by
    case period_type when 'day' then 1 when 'week' then 2 else 3 end,
    period_start,
    rank
