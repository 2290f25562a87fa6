-- Per topic and period (ISO week starting Monday, month) with Daily-Papers listings: the topic's
-- listed papers, their latest upvotes, and (int_topic_period_counts is dense, so the previous row
-- is the previous period with listings, and absent papers are zeros):
--   share_of_papers = papers / period_papers;
--   smoothed_share  = (papers + a) / (period_papers + 2a), a = var('trend_smoothing') (additive smoothing);
--   growth          = ln(smoothed_share / smoothed_share of the previous period), null for the first;
--   share_zscore    = (share - mean) / greatest(sd, var('trend_zscore_min_sd')), mean and sd (sample) of the
--                     share over the var('trend_window_periods') previous periods; null with fewer than
--                     var('trend_window_min_periods') of them.
{%- set min_sd = var('trend_zscore_min_sd') %}
with

counts as (

    select * from {{ ref('int_topic_period_counts') }}

),

shares as (

    select
        *,
        papers / period_papers as topic_share,
        (papers + {{ var('trend_smoothing') }})
        / (period_papers + 2 * {{ var('trend_smoothing') }}) as smoothed_share

    from counts

),

windowed as (

    select
        *,
        lag(period_start) over by_period as previous_period_start,
        lag(smoothed_share) over by_period as previous_smoothed_share,
        count(*) over trailing_window as window_periods,
        avg(topic_share) over trailing_window as window_mean,
        stddev_samp(topic_share) over trailing_window as window_sd

    from shares
    window
        by_period as (partition by topic_id, period_type order by period_start),
        trailing_window as (
            partition by topic_id, period_type order by period_start
            rows between {{ var('trend_window_periods') }} preceding and 1 preceding
        )

),

final as (

    select
        topic_id,
        kind,
        label,
        period_type,
        period_start,
        period_index,
        papers,
        upvotes,
        period_papers,
        round(topic_share, 6) as share_of_papers,
        round(smoothed_share, 6) as smoothed_share,
        previous_period_start,
        round(ln(smoothed_share / previous_smoothed_share), 6) as growth,
        window_periods,
        round(window_mean, 6) as window_mean_share,
        case
            when window_periods >= {{ var('trend_window_min_periods') }}
                then round((topic_share - window_mean) / greatest(coalesce(window_sd, 0), {{ min_sd }}), 6)
        end as share_zscore

    from windowed

)

select * from final
order by topic_id, period_type, period_start
