-- Bursts of topic share: runs of consecutive periods (with listings) in which a topic's
-- share_zscore is at least var('emerging_min_zscore') and it has at least
-- var('emerging_min_papers') papers. One row per burst: its first and last period, peak z-score,
-- strength (sum of the z-scores over the burst) and excess papers (papers above what the
-- trailing mean share predicts); is_ongoing when the burst reaches the latest period.
with

trends as (

    select * from {{ ref('topic_trends') }}

),

latest as (

    select
        period_type,
        max(period_start) as latest_period_start

    from trends
    group by period_type

),

flagged as (

    select
        *,
        period_index
        - row_number() over (partition by topic_id, period_type order by period_index) as burst_group

    from trends
    where
        share_zscore >= {{ var('emerging_min_zscore') }}
        and papers >= {{ var('emerging_min_papers') }}

),

bursts as (

    select
        topic_id,
        period_type,
        burst_group,
        any_value(kind) as kind,
        any_value(label) as label,
        min(period_start) as burst_start,
        max(period_start) as burst_end,
        count(*) as periods,
        sum(papers) as papers,
        max(share_zscore) as peak_zscore,
        sum(share_zscore) as strength,
        sum(papers - window_mean_share * period_papers) as excess_papers

    from flagged
    group by topic_id, period_type, burst_group

),

final as (

    select
        bursts.topic_id,
        bursts.kind,
        bursts.label,
        bursts.period_type,
        bursts.burst_start,
        bursts.burst_end,
        bursts.periods,
        cast(bursts.papers as bigint) as papers,
        round(bursts.peak_zscore, 6) as peak_zscore,
        round(bursts.strength, 6) as strength,
        round(bursts.excess_papers, 3) as excess_papers,
        bursts.burst_end = latest.latest_period_start as is_ongoing

    from bursts
    inner join latest
        on bursts.period_type = latest.period_type

)

select * from final
order by period_type asc, burst_start desc, strength desc, topic_id asc
