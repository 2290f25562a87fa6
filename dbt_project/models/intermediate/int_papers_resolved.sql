-- Every observation with its paper_id. HF and arXiv rows keep the paper_id of their own normalised
-- arXiv id, so one arXiv id is one paper across sources. A seed page row (no id) takes the id of the
-- paper with the same title_key among rows that have an id, HF or arXiv (the smallest such id if
-- several), else a title id: 'title:' || substr(md5(title_key), 1, 16).
--
-- Incremental (macros/incremental.sql): a run recomputes the rows of the changed listing days and
-- every seed-page row (a seed row's id depends on keyed rows of any day; seed pages are few), and
-- matches seed rows against the keyed rows it recomputes plus the table's own keyed rows of the
-- other days, which are as a full rebuild would make them.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='days_and_seed',
    on_schema_change='fail'
) }}
with

snapshots as (

    select * from {{ ref('int_snapshots_unioned') }}
    {% if is_incremental() %}
        where listing_date in ({{ changed_days_list() }}) or source = 'seed_page'
    {% endif %}

),

keyed_rows as (

    select
        title_key,
        keyed_paper_id

    from snapshots
    where keyed_paper_id is not null and title_key is not null
    {% if is_incremental() %}

        union all

        select
            title_key,
            paper_id as keyed_paper_id

        from {{ this }}
        where
            source != 'seed_page'
            and title_key is not null
            and listing_date not in ({{ changed_days_query() }})
            and title_key in (
                select seed.title_key from snapshots as seed
                where seed.keyed_paper_id is null
            )
    {% endif %}

),

keyed_titles as (

    select
        title_key,
        min(keyed_paper_id) as keyed_paper_id

    from keyed_rows
    group by title_key

),

matched as (

    select
        snapshots.*,
        keyed_titles.keyed_paper_id as title_match_paper_id

    from snapshots
    left join keyed_titles
        on
            snapshots.keyed_paper_id is null
            and snapshots.title_key = keyed_titles.title_key

),

resolved as (

    select
        * exclude (keyed_paper_id, title_match_paper_id),
        coalesce(
            keyed_paper_id,
            title_match_paper_id,
            'title:' || substr(md5(coalesce(title_key, lower(title))), 1, 16)
        ) as paper_id,
        case
            when keyed_paper_id is not null then 'arxiv_id'
            when title_match_paper_id is not null then 'title_key'
            else 'none'
        end as matched_by

    from matched

)

select * from resolved
