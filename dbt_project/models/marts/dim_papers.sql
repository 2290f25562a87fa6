-- One row per paper, in paper_id order: int_papers_merged (its header has the precedence rules).
--
-- A model of its own because the merge and this sort in one query ran out of DuckDB's
-- memory_limit at 1M papers (1.5 GB: the aggregate's wide text and the sort's held at once), while
-- each alone spills and finishes (bench/RESULTS.md). The order makes a rebuild's file identical.
-- Incremental like int_papers_merged: a run replaces the changed papers' rows.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_papers_resolved') }}
with

papers as (

    select * from {{ ref('int_papers_merged') }}
    {% if is_incremental() %}
        where paper_id in ({{ changed_papers() }})
    {% endif %}

),

final as (

    select
        paper_id,
        arxiv_id,
        title,
        abstract,
        authors,
        author_count,
        arxiv_published_at,
        arxiv_date,
        first_listed_on,
        first_arxiv_listed_on,
        categories,
        primary_category,
        submitted_by,
        github_repo,
        project_page,
        ai_keywords,
        latest_upvotes,
        latest_comments,
        latest_as_of,
        snapshot_count,
        sources

    from papers

)

select * from final
order by paper_id
