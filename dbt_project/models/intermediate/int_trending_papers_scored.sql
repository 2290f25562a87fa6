-- Every candidate of every trending ranking, scored (trending_papers keeps the top N).
--
-- Rankings: one per as-of date (each date that has a Daily-Papers list) and window type:
--   day = the as-of date; week = its ISO week (Monday start) up to the as-of date; month = its month
--   up to the as-of date. Candidates: papers on the final list of a date in [window_start, as_of_date].
-- As-of time (as_of_at) = the end of the window = as_of_date + 1 day, 00:00 UTC.
-- Listing time (listed_at) = the paper's first Daily-Papers list date (the file/partition date, which
--   a live fetch takes from its date parameter, the same day as paper.submittedOnDailyAt), 00:00 UTC.
-- Snapshot: the paper's latest HF snapshot at or before as_of_at (its earliest one when all are later,
--   e.g. a list only fetched the next morning); upvotes, comments, has_code and velocity come from it.
--
-- age_hours  = hours(as_of_at - listed_at)                                  (24 for a paper of the day)
-- decay      = 0.5 ^ (age_hours / trending_half_life_hours)
-- gravity    = (upvotes - 1) / (age_hours + 2) ^ trending_gravity           (Hacker News)
-- velocity   = the snapshot's upvotes_velocity_per_hour (fct_paper_snapshots; null = no earlier snapshot)
-- score      = upvotes_component + comments_component + code_component + velocity_component
--              + gravity_component, where
--   upvotes_component  = w_upvotes  * ln(1 + upvotes)  * decay
--   comments_component = w_comments * ln(1 + comments) * decay
--   code_component     = w_code     * has_code         * decay
--   velocity_component = w_velocity * coalesce(velocity, 0)
--   gravity_component  = w_gravity  * gravity
-- Components and decay/gravity are rounded to 6 decimals; score is the sum of the rounded components.
--
-- Incremental (macros/incremental.sql), like trending_papers: a run scores the rankings whose window
-- a change reaches (trending_dates_list). A table rather than a view because its tests and
-- trending_papers would each recompute every ranking of the history (a minute at 100k papers).
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='trending_dates',
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_papers_resolved') }}
with

listings as (

    select * from {{ ref('int_daily_listings_latest') }}

),

snapshots as (

    select * from {{ ref('fct_paper_snapshots') }}
    where source = 'hf_daily_papers'

),

first_listings as (

    select
        paper_id,
        min(listing_date) as listed_on

    from listings
    group by paper_id

),

window_types as (

    select unnest(['day', 'week', 'month']) as window_type

),

as_of_dates as (

    select distinct listing_date as as_of_date
    from listings
    {% if is_incremental() %}
        where listing_date in ({{ trending_dates_list() }})
    {% endif %}

),

windows as (

    select
        as_of_dates.as_of_date,
        window_types.window_type,
        cast(date_trunc(window_types.window_type, as_of_dates.as_of_date) as date) as window_start,
        cast(as_of_dates.as_of_date + interval 1 day as timestamp) as as_of_at

    from as_of_dates
    cross join window_types

),

candidates as (

    select distinct
        windows.as_of_date,
        windows.window_type,
        windows.window_start,
        windows.as_of_at,
        listings.paper_id

    from windows
    inner join listings
        on listings.listing_date between windows.window_start and windows.as_of_date

),

snapshot_choice as (

    select
        candidates.*,
        snapshots.snapshot_id,
        snapshots.as_of as snapshot_as_of,
        coalesce(snapshots.upvotes, 0) as upvotes,
        coalesce(snapshots.comments, 0) as comments,
        snapshots.github_repo is not null as has_code,
        snapshots.upvotes_velocity_per_hour as velocity_per_hour,
        row_number() over (
            partition by candidates.as_of_date, candidates.window_type, candidates.paper_id
            order by
                snapshots.as_of <= candidates.as_of_at desc,
                case when snapshots.as_of <= candidates.as_of_at then snapshots.as_of end desc,
                snapshots.as_of asc,
                snapshots.landing_path asc,
                snapshots.position asc
        ) as snapshot_rank

    from candidates
    inner join snapshots
        on candidates.paper_id = snapshots.paper_id

),

chosen as (

    select * exclude (snapshot_rank)
    from snapshot_choice
    where snapshot_rank = 1

),

aged as (

    select
        chosen.*,
        first_listings.listed_on,
        cast(first_listings.listed_on as timestamp) as listed_at,
        (epoch(chosen.as_of_at) - epoch(cast(first_listings.listed_on as timestamp))) / 3600.0 as age_hours

    from chosen
    inner join first_listings
        on chosen.paper_id = first_listings.paper_id

),

factors as (

    select
        *,
        pow(0.5, age_hours / {{ var('trending_half_life_hours') }}) as decay_exact,
        (upvotes - 1) / pow(age_hours + 2, {{ var('trending_gravity') }}) as gravity_exact

    from aged

),

components as (

    select
        *,
        round(decay_exact, 6) as decay,
        round(gravity_exact, 6) as gravity,
        round({{ var('w_upvotes') }} * ln(1 + upvotes) * decay_exact, 6) as upvotes_component,
        round({{ var('w_comments') }} * ln(1 + comments) * decay_exact, 6) as comments_component,
        round({{ var('w_code') }} * cast(has_code as integer) * decay_exact, 6) as code_component,
        round({{ var('w_velocity') }} * coalesce(velocity_per_hour, 0), 6) as velocity_component,
        round({{ var('w_gravity') }} * gravity_exact, 6) as gravity_component

    from factors

),

final as (

    select
        as_of_date,
        window_type,
        window_start,
        as_of_at,
        paper_id,
        listed_on,
        listed_at,
        cast(age_hours as double) as age_hours,
        snapshot_id,
        snapshot_as_of,
        upvotes,
        comments,
        has_code,
        cast(velocity_per_hour as double) as velocity_per_hour,
        cast(decay as double) as decay,
        cast(gravity as double) as gravity,
        cast(upvotes_component as double) as upvotes_component,
        cast(comments_component as double) as comments_component,
        cast(code_component as double) as code_component,
        cast(velocity_component as double) as velocity_component,
        cast(gravity_component as double) as gravity_component,
        cast(
            round(
                upvotes_component + comments_component + code_component + velocity_component + gravity_component,
                6
            ) as double
        ) as score

    from components

)

select * from final
