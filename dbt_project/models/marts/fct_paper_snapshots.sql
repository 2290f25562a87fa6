-- One row per observation of a paper: an HF record in one file version, a paper in one arXiv listing
-- file (a cross-list repeat inside the file is the same observation), or one seed page row.
with

snapshots as (

    select * from {{ ref('int_papers_resolved') }}

),

final as (

    select
        snapshot_id,
        paper_id,
        source,
        as_of,
        listing_date,
        upvotes,
        comments,
        github_stars,
        github_repo,
        matched_by,
        source_file,
        landing_path,
        position

    from snapshots

)

select * from final
order by paper_id, as_of, source, landing_path, position
