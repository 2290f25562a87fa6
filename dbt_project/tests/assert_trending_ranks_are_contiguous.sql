-- In each period, ranks run 1..n without gaps, n = min(trending_top_n, papers listed in the period),
-- and scores never increase with rank.
with

trending as (

    select * from {{ ref('trending_papers') }}

),

per_period as (

    select
        period_type,
        period_start,
        count(*) as ranked_papers,
        max(rank) as max_rank,
        min(rank) as min_rank

    from trending
    group by period_type, period_start

),

bad_ranks as (

    select
        period_type,
        period_start,
        'ranks not contiguous' as problem

    from per_period
    where
        min_rank != 1
        or max_rank != ranked_papers
        or ranked_papers > {{ var('trending_top_n') }}

),

with_previous as (

    select
        period_type,
        period_start,
        score,
        lag(score) over (partition by period_type, period_start order by rank) as previous_score

    from trending

),

bad_order as (

    select
        period_type,
        period_start,
        'score increases with rank' as problem

    from with_previous
    where score > previous_score

)

select * from bad_ranks
union all
select * from bad_order
