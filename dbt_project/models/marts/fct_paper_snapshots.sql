-- One row per observation of a paper: an HF record in one file version (every fetch and re-fetch),
-- a paper in one arXiv listing file (a cross-list repeat inside the file is the same observation),
-- or one seed page row; as_of is when the file was fetched (UTC).
--
-- Upvote velocity, HF snapshots only (arXiv listings carry no votes; the seed page is a one-off scrape
-- of another surface): the paper's HF snapshots in order (as_of, landing_path, position), and for each
--   upvotes_velocity_per_hour = (ln(1 + upvotes_t) - ln(1 + upvotes_{t-1})) / hours(as_of_t - as_of_{t-1}),
-- rounded to 6 decimals; null for the paper's first HF snapshot, for non-HF rows, and when the two
-- snapshots share one as_of (0 hours: no rate).
--
-- Incremental (macros/incremental.sql): a snapshot's row depends on its paper's snapshots only,
-- so a run recomputes every snapshot of the changed papers.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
with

snapshots as (

    select * from {{ ref('int_papers_resolved') }}
    {% if is_incremental() %}
        where paper_id in ({{ changed_papers() }})
    {% endif %}

),

hf_sequenced as (

    -- Only HF snapshots carry votes over time: number them per paper and look one back.
    select
        snapshot_id,
        row_number() over paper_history as hf_snapshot_number,
        lag(as_of) over paper_history as previous_as_of,
        lag(upvotes) over paper_history as previous_upvotes

    from snapshots
    where source = 'hf_daily_papers'
    window paper_history as (partition by paper_id order by as_of asc, landing_path asc, position asc)

),

sequenced as (

    select
        snapshots.*,
        hf_sequenced.hf_snapshot_number,
        hf_sequenced.previous_as_of,
        hf_sequenced.previous_upvotes,
        (epoch(snapshots.as_of) - epoch(hf_sequenced.previous_as_of)) / 3600.0 as hours_since_previous

    from snapshots
    left join hf_sequenced
        on snapshots.snapshot_id = hf_sequenced.snapshot_id

),

final as (

    select
        snapshot_id,
        paper_id,
        source,
        as_of,
        listing_date,
        upvotes,
        comments,
        github_stars,
        github_repo,
        cast(hf_snapshot_number as integer) as hf_snapshot_number,
        previous_as_of,
        previous_upvotes,
        cast(round(hours_since_previous, 6) as double) as hours_since_previous,
        cast(
            case
                when hours_since_previous > 0
                    then round((ln(1 + upvotes) - ln(1 + previous_upvotes)) / hours_since_previous, 6)
            end as double
        ) as upvotes_velocity_per_hour,
        matched_by,
        source_file,
        landing_path,
        position

    from sequenced

)

select * from final
order by paper_id, as_of, source, landing_path, position
