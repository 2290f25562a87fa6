-- One row per paper, in no order (dim_papers is this table sorted): every paper with an arXiv id
-- seen by HF or the arXiv listings (key = bare arXiv id, one row however many sources, files and
-- repeats saw it), plus every seed page paper that no paper with an id matches by title_key
-- (key = 'title:' || 16 hex chars).
--
-- Precedence when sources disagree (source rank: hf_daily_papers 0, arxiv_listings 1, seed_page 2):
--   title, abstract, authors, author_count: the newest snapshot, newest = latest listing_date (the
--     day the source listed it; as_of is not comparable across sources), then source rank (HF
--     before arXiv before seed on ties), then as_of desc, landing_path, position;
--   latest_upvotes, latest_comments and the other HF attributes (arxiv_published_at, arxiv_date,
--     submitted_by, github_repo, project_page, ai_keywords): HF snapshots only, newest as_of first;
--     the seed page fills them only for a paper HF never observed; arXiv listings carry none;
--   categories, primary_category: arXiv listings only, the paper's latest version
--     (int_arxiv_papers_latest: latest listing_date, then as_of, then landing_path, position).
--
-- Incremental (macros/incremental.sql): a paper's row depends on its own snapshots, listings and
-- arXiv versions only, so a run recomputes the changed papers (a paper left without snapshots,
-- such as the title id a seed row no longer uses, is deleted and not re-inserted).
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
with

-- Read three times (ranks, attributes, abstracts): not materialised, so that it is not spooled
-- whole with every abstract.
snapshots as not materialized (

    select * from {{ ref('int_papers_resolved') }}
    {% if is_incremental() %}
        where paper_id in ({{ changed_papers() }})
    {% endif %}

),

listings as (

    select * from {{ ref('int_daily_listings_latest') }}
    {% if is_incremental() %}
        where paper_id in (select snapshots.paper_id from snapshots)
    {% endif %}

),

arxiv_papers as (

    select * from {{ ref('int_arxiv_papers_latest') }}
    {% if is_incremental() %}
        where arxiv_id in (select snapshots.paper_id from snapshots)
    {% endif %}

),

-- Each snapshot's place in its paper under both precedences (1 wins), sorted on the keys alone:
-- windows that carried every column ran out of memory at 800MB with 1M papers, and arg_min over
-- struct keys beside the values spilled ~25 GB (sessions 10 and 13, bench/RESULTS.md).
positions as (

    select
        snapshot_id,
        row_number() over (
            partition by paper_id
            order by
                listing_date desc nulls last,
                case source when 'hf_daily_papers' then 0 when 'arxiv_listings' then 1 else 2 end,
                as_of desc,
                landing_path asc,
                position asc
        ) as text_rank,
        row_number() over (
            partition by paper_id
            order by
                case source when 'hf_daily_papers' then 0 when 'seed_page' then 1 else 2 end,
                as_of desc,
                landing_path asc,
                position asc
        ) as hf_rank

    from snapshots

),

-- Every attribute but the abstract (~1.3 KB a row), which is fetched for the winner alone.
ranked as (

    select
        snapshots.snapshot_id,
        snapshots.paper_id,
        snapshots.source,
        snapshots.as_of,
        snapshots.arxiv_id,
        snapshots.author_count,
        snapshots.arxiv_published_at,
        snapshots.paper_date,
        snapshots.submitted_by,
        snapshots.github_repo,
        snapshots.project_page,
        snapshots.ai_keywords,
        snapshots.upvotes,
        snapshots.comments,
        snapshots.title,
        snapshots.author_names,
        snapshots.abstract is not null as has_abstract,
        positions.text_rank,
        positions.hf_rank

    from snapshots
    inner join positions
        on snapshots.snapshot_id = positions.snapshot_id

),

papers as (

    select
        paper_id,
        arg_min(title, text_rank) filter (where title is not null) as title,
        arg_min(snapshot_id, text_rank) filter (where has_abstract) as abstract_snapshot_id,
        arg_min(author_names, text_rank) filter (where author_names is not null) as authors,
        arg_min(arxiv_id, text_rank) filter (where arxiv_id is not null) as arxiv_id,
        arg_min(author_count, text_rank) filter (where author_count is not null) as author_count,
        arg_min(arxiv_published_at, hf_rank) filter (where arxiv_published_at is not null) as arxiv_published_at,
        arg_min(paper_date, hf_rank) filter (where paper_date is not null) as arxiv_date,
        arg_min(submitted_by, hf_rank) filter (where submitted_by is not null) as submitted_by,
        arg_min(github_repo, hf_rank) filter (where github_repo is not null) as github_repo,
        arg_min(project_page, hf_rank) filter (where project_page is not null) as project_page,
        arg_min(ai_keywords, hf_rank) filter (where ai_keywords is not null) as ai_keywords,
        arg_min(upvotes, hf_rank) filter (where upvotes is not null) as latest_upvotes,
        arg_min(comments, hf_rank) filter (where comments is not null) as latest_comments,
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
        abstracts.abstract,
        papers.authors,
        papers.author_count,
        papers.arxiv_published_at,
        papers.arxiv_date,
        first_listings.first_listed_on,
        arxiv_papers.first_listed_on as first_arxiv_listed_on,
        arxiv_papers.categories,
        arxiv_papers.primary_category,
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
    -- one join for the texts: DuckDB hashes the snapshots' side (id, abstract) and spills it; three
    -- such joins (title, abstract, authors) ran out of memory at 800MB with 1M papers
    left join snapshots as abstracts
        on papers.abstract_snapshot_id = abstracts.snapshot_id
    left join first_listings
        on papers.paper_id = first_listings.paper_id
    left join arxiv_papers
        on papers.paper_id = arxiv_papers.arxiv_id

)

select * from final
