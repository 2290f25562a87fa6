-- One row per accepted record of every landed HF daily_papers file version (history re-fetches included).
-- Rename and cast only: no normalisation here.
with

source as (

    select * from {{ source('raw', 'hf_daily_papers') }}

),

renamed as (

    select
        landing_path,
        source_file,
        cast(listing_date as date) as listing_date,
        cast(as_of as timestamp) as as_of,
        cast(position as integer) as position,
        record_format,
        arxiv_id as arxiv_id_raw,
        title as title_raw,
        paper_title as paper_title_raw,
        summary as abstract,
        authors,
        {{ iso_to_utc_timestamp('paper_published_at') }} as paper_published_at,
        {{ iso_to_utc_timestamp('listing_published_at') }} as listing_published_at,
        {{ iso_to_utc_timestamp('submitted_on_daily_at') }} as submitted_on_daily_at,
        cast(upvotes as bigint) as upvotes,
        cast(num_comments as bigint) as comments,
        submitted_by,
        submitted_by_fullname,
        organization,
        github_repo as github_repo_raw,
        cast(github_stars as bigint) as github_stars,
        project_page,
        ai_keywords,
        ai_summary,
        discussion_id,
        unknown_keys,
        title_key

    from source

)

select * from renamed
