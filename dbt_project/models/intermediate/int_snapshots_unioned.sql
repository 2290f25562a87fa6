-- Every observation of every paper on one set of columns: each HF record in every file version,
-- each arXiv listing of a paper in every listing file (a cross-list repeat inside one file is the
-- same observation and counts once), and each seed page row. keyed_paper_id is the paper_id known
-- from the record's own arXiv id (HF, arXiv); seed rows have none and are resolved later.
-- A view: every column is a function of one record (and its file), so a filter on listing_date
-- reaches the raw scans (int_papers_resolved reads only the changed days).
with

hf_records as (

    select * from {{ ref('int_papers_normalized') }}

),

arxiv_records as (

    select * from {{ ref('int_arxiv_listings_normalized') }}

),

seed_records as (

    select * from {{ ref('stg_seed_page__papers') }}

),

hf_snapshots as (

    select
        md5(landing_path || ':' || position) as snapshot_id,
        'hf_daily_papers' as source,
        landing_path,
        source_file,
        position,
        listing_date,
        as_of,
        paper_id as keyed_paper_id,
        arxiv_id,
        title_key,
        title,
        abstract,
        author_names,
        author_count,
        paper_published_at as arxiv_published_at,
        cast(paper_published_at as date) as paper_date,
        submitted_by,
        organization,
        github_repo,
        github_stars,
        project_page,
        ai_keywords,
        upvotes,
        comments,
        cast(null as varchar[]) as categories,
        cast(null as varchar) as primary_category

    from hf_records

),

arxiv_snapshots as (

    select
        md5(landing_path || ':' || position) as snapshot_id,
        'arxiv_listings' as source,
        landing_path,
        source_file,
        position,
        listing_date,
        as_of,
        arxiv_id as keyed_paper_id,
        arxiv_id,
        title_key,
        title,
        abstract,
        author_names,
        author_count,
        cast(null as timestamp) as arxiv_published_at,
        cast(null as date) as paper_date,
        cast(null as varchar) as submitted_by,
        cast(null as varchar) as organization,
        cast(null as varchar) as github_repo,
        cast(null as bigint) as github_stars,
        cast(null as varchar) as project_page,
        cast(null as varchar[]) as ai_keywords,
        cast(null as bigint) as upvotes,
        cast(null as bigint) as comments,
        categories,
        primary_category

    from arxiv_records
    where file_occurrence = 1

),

seed_snapshots as (

    select
        md5(landing_path || ':' || position) as snapshot_id,
        'seed_page' as source,
        landing_path,
        source_file,
        position,
        page_date as listing_date,
        as_of,
        cast(null as varchar) as keyed_paper_id,
        cast(null as varchar) as arxiv_id,
        title_key,
        {{ clean_whitespace('title_raw') }} as title,
        abstract,
        cast(null as varchar[]) as author_names,
        author_count,
        cast(null as timestamp) as arxiv_published_at,
        paper_date,
        cast(null as varchar) as submitted_by,
        cast(null as varchar) as organization,
        cast(null as varchar) as github_repo,
        cast(null as bigint) as github_stars,
        cast(null as varchar) as project_page,
        cast(null as varchar[]) as ai_keywords,
        upvotes,
        cast(null as bigint) as comments,
        cast(null as varchar[]) as categories,
        cast(null as varchar) as primary_category

    from seed_records

)

select * from hf_snapshots
union all
select * from arxiv_snapshots
union all
select * from seed_snapshots
