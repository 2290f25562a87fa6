-- One row per paper block of a scraped Daily Papers listing page. Rename and cast only.
with

source as (

    select * from {{ source('raw', 'seed_page_papers') }}

),

renamed as (

    select
        landing_path,
        source_file,
        cast(page_date as date) as page_date,
        cast(as_of as timestamp) as as_of,
        cast(position as integer) as position,
        cast(line_number as integer) as line_number,
        title as title_raw,
        summary as abstract,
        cast(author_count as bigint) as author_count,
        paper_date_text,
        cast(try_strptime(paper_date_text, '%b %d, %Y') as date) as paper_date,
        cast(upvotes as bigint) as upvotes,
        title_key

    from source

)

select * from renamed
