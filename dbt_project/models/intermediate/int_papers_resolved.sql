-- Every observation with its paper_id. HF rows keep their arXiv-based id; a seed page row takes the
-- id of the HF paper with the same title_key (the smallest id if several), else a title id:
-- 'title:' || substr(md5(title_key), 1, 16).
with

snapshots as (

    select * from {{ ref('int_snapshots_unioned') }}

),

hf_titles as (

    select
        title_key,
        min(hf_paper_id) as hf_paper_id

    from snapshots
    where source = 'hf_daily_papers' and title_key is not null
    group by title_key

),

matched as (

    select
        snapshots.*,
        hf_titles.hf_paper_id as title_match_paper_id

    from snapshots
    left join hf_titles
        on
            snapshots.source = 'seed_page'
            and snapshots.title_key = hf_titles.title_key

),

resolved as (

    select
        * exclude (hf_paper_id, title_match_paper_id),
        coalesce(
            hf_paper_id,
            title_match_paper_id,
            'title:' || substr(md5(coalesce(title_key, lower(title))), 1, 16)
        ) as paper_id,
        case
            when source = 'hf_daily_papers' then 'arxiv_id'
            when title_match_paper_id is not null then 'title_key'
            else 'none'
        end as matched_by

    from matched

)

select * from resolved
