-- In each ranking (as_of_date, window_type), ranks run 1..n without gaps,
-- n = min(trending_top_n, candidate papers), and scores never increase with rank.
with

trending as (

    select * from {{ ref('trending_papers') }}

),

per_ranking as (

    select
        as_of_date,
        window_type,
        count(*) as ranked_papers,
        max(rank) as max_rank,
        min(rank) as min_rank

    from trending
    group by as_of_date, window_type

),

bad_ranks as (

    select
        as_of_date,
        window_type,
        'ranks not contiguous' as problem

    from per_ranking
    where
        min_rank != 1
        or max_rank != ranked_papers
        or ranked_papers > {{ var('trending_top_n') }}

),

with_previous as (

    select
        as_of_date,
        window_type,
        score,
        lag(score) over (partition by as_of_date, window_type order by rank) as previous_score

    from trending

),

bad_order as (

    select
        as_of_date,
        window_type,
        'score increases with rank' as problem

    from with_previous
    where score > previous_score

)

select * from bad_ranks
union all
select * from bad_order
