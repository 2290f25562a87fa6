-- Who brings papers that trend: one row per submitter (HF username that put papers on the daily
-- list) and per organization (the live API's organization.name; absent from the bundled and shared
-- files, so those rows appear only for live fetches). A paper counts for the submitter and the
-- organization of its newest HF snapshot that names one (int_papers_attributed).
-- upvotes / median_upvotes use each paper's latest upvotes (dim_papers.latest_upvotes);
-- trending_appearances = rows of trending_papers (any as-of date and window) holding one of the papers.
-- rank within contributor_type: upvotes desc, trending_appearances desc, papers desc, contributor asc.
with

papers as (

    select * from {{ ref('dim_papers') }}

),

attributed as (

    select * from {{ ref('int_papers_attributed') }}

),

trending as (

    select * from {{ ref('trending_papers') }}

),

contributions as (

    select
        'submitter' as contributor_type,
        submitted_by as contributor,
        paper_id

    from attributed
    where submitted_by is not null

    union all

    select
        'organization' as contributor_type,
        organization as contributor,
        paper_id

    from attributed
    where organization is not null

),

appearances as (

    select
        paper_id,
        count(*) as trending_appearances,
        count(*) filter (where window_type = 'day') as daily_top_appearances,
        min(rank) as best_rank

    from trending
    group by paper_id

),

paper_stats as (

    select
        contributions.contributor_type,
        contributions.contributor,
        contributions.paper_id,
        coalesce(papers.latest_upvotes, 0) as upvotes,
        coalesce(appearances.trending_appearances, 0) as trending_appearances,
        coalesce(appearances.daily_top_appearances, 0) as daily_top_appearances,
        appearances.best_rank

    from contributions
    inner join papers
        on contributions.paper_id = papers.paper_id
    left join appearances
        on contributions.paper_id = appearances.paper_id

),

aggregated as (

    select
        contributor_type,
        contributor,
        count(*) as papers,
        sum(upvotes) as upvotes,
        median(upvotes) as median_upvotes,
        sum(trending_appearances) as trending_appearances,
        sum(daily_top_appearances) as daily_top_appearances,
        count(*) filter (where trending_appearances > 0) as papers_trending,
        min(best_rank) as best_rank,
        (list(paper_id order by upvotes desc, paper_id asc))[1] as top_paper_id

    from paper_stats
    group by contributor_type, contributor

),

ranked as (

    select
        *,
        row_number() over (
            partition by contributor_type
            order by upvotes desc, trending_appearances desc, papers desc, contributor asc
        ) as rank

    from aggregated

),

final as (

    select
        contributor_type,
        contributor,
        cast(rank as integer) as rank,
        papers,
        cast(upvotes as bigint) as upvotes,
        cast(median_upvotes as double) as median_upvotes,
        cast(trending_appearances as bigint) as trending_appearances,
        cast(daily_top_appearances as bigint) as daily_top_appearances,
        papers_trending,
        cast(best_rank as integer) as best_rank,
        top_paper_id

    from ranked

)

select * from final
order by contributor_type desc, rank asc
