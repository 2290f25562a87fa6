-- Papers whose HF snapshots carry GitHub stars (paper.githubStars, from mid-2025), fastest growing
-- first. Per paper, over its HF snapshots with stars: the first and the latest (by as_of, then
-- landing_path, position) and
--   stars_per_day = (latest_stars - first_stars) / days(latest_star_as_of - first_star_as_of),
-- rounded to 6 decimals; null when the paper has fewer than 2 snapshots with stars or they share one
-- as_of (no interval to measure). Rank: stars_per_day desc (papers without a growth figure last),
-- then latest_stars desc, then paper_id asc, so papers are still ranked on the stars they have.
with

snapshots as (

    select * from {{ ref('fct_paper_snapshots') }}
    where source = 'hf_daily_papers' and github_stars is not null

),

per_paper as (

    select
        paper_id,
        count(*) as star_snapshots,
        min(as_of) as first_star_as_of,
        max(as_of) as latest_star_as_of,
        (list(github_stars order by as_of asc, landing_path asc, position asc))[1] as first_stars,
        (list(github_stars order by as_of desc, landing_path desc, position desc))[1] as latest_stars,
        (
            list(github_repo order by as_of desc, landing_path desc, position desc)
            filter (where github_repo is not null)
        )[1] as github_repo

    from snapshots
    group by paper_id

),

timed as (

    select
        *,
        (epoch(latest_star_as_of) - epoch(first_star_as_of)) / 86400.0 as days_between

    from per_paper

),

growth as (

    select
        *,
        case
            when star_snapshots >= 2 and days_between > 0
                then round((latest_stars - first_stars) / days_between, 6)
        end as stars_per_day

    from timed

),

ranked as (

    select
        *,
        row_number() over (
            order by stars_per_day desc nulls last, latest_stars desc, paper_id asc
        ) as rank

    from growth

),

final as (

    select
        cast(rank as integer) as rank,
        paper_id,
        github_repo,
        star_snapshots,
        first_star_as_of,
        latest_star_as_of,
        first_stars,
        latest_stars,
        cast(round(days_between, 6) as double) as days_between,
        cast(stars_per_day as double) as stars_per_day

    from ranked

)

select * from final
order by rank
