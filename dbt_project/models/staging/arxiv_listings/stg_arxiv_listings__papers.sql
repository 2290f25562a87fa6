-- One row per accepted line of every landed arXiv listings file (cross-list and weekend repeats
-- included). Rename and cast only: no normalisation and no deduplication here.
with

source as (

    select * from {{ source('raw', 'arxiv_listings') }}

),

renamed as (

    select
        landing_path,
        source_file,
        cast(listing_date as date) as listing_date,
        cast(as_of as timestamp) as as_of,
        cast(position as integer) as position,
        cast(line_number as integer) as line_number,
        arxiv_id as arxiv_id_raw,
        title as title_raw,
        summary as abstract,
        authors,
        categories,
        primary_category,
        comment,
        pdf_url,
        abs_url,
        unknown_keys,
        title_key

    from source

)

select * from renamed
