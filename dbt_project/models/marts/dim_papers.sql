-- One row per paper. Each attribute comes from the newest snapshot that has it
-- (as_of desc, then hf_daily_papers before seed_page, then landing_path, position).
with

snapshots as (

    select * from {{ ref('int_papers_resolved') }}

),

listings as (

    select * from {{ ref('int_daily_listings_latest') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by paper_id
            order by
                as_of desc,
                case source when 'hf_daily_papers' then 0 else 1 end asc,
                landing_path asc,
                position asc
        ) as recency_rank

    from snapshots

),

papers as (

    select
        paper_id,
        arg_min(arxiv_id, recency_rank) filter (where arxiv_id is not null) as arxiv_id,
        arg_min(title, recency_rank) filter (where title is not null) as title,
        arg_min(abstract, recency_rank) filter (where abstract is not null) as abstract,
        arg_min(author_names, recency_rank) filter (where author_names is not null) as authors,
        arg_min(author_count, recency_rank) filter (where author_count is not null) as author_count,
        arg_min(arxiv_published_at, recency_rank) filter (
            where arxiv_published_at is not null
        ) as arxiv_published_at,
        arg_min(paper_date, recency_rank) filter (where paper_date is not null) as arxiv_date,
        arg_min(submitted_by, recency_rank) filter (where submitted_by is not null) as submitted_by,
        arg_min(github_repo, recency_rank) filter (where github_repo is not null) as github_repo,
        arg_min(project_page, recency_rank) filter (where project_page is not null) as project_page,
        arg_min(ai_keywords, recency_rank) filter (where ai_keywords is not null) as ai_keywords,
        arg_min(upvotes, recency_rank) filter (where upvotes is not null) as latest_upvotes,
        arg_min(comments, recency_rank) filter (where comments is not null) as latest_comments,
        max(as_of) as latest_as_of,
        count(*) as snapshot_count,
        list_sort(list(distinct source)) as sources

    from ranked
    group by paper_id

),

first_listings as (

    select
        paper_id,
        min(listing_date) as first_listed_on

    from listings
    group by paper_id

),

final as (

    select
        papers.paper_id,
        papers.arxiv_id,
        papers.title,
        papers.abstract,
        papers.authors,
        papers.author_count,
        papers.arxiv_published_at,
        papers.arxiv_date,
        first_listings.first_listed_on,
        papers.submitted_by,
        papers.github_repo,
        papers.project_page,
        papers.ai_keywords,
        papers.latest_upvotes,
        papers.latest_comments,
        papers.latest_as_of,
        papers.snapshot_count,
        papers.sources

    from papers
    left join first_listings
        on papers.paper_id = first_listings.paper_id

)

select * from final
order by paper_id
