-- Records no source could use, with the reason and the raw text. Rename only.
with

source as (

    select * from {{ source('raw', 'quarantine') }}

),

renamed as (

    select
        source,
        landing_path,
        source_file,
        cast(listing_date as date) as listing_date,
        cast(position as integer) as position,
        cast(line_number as integer) as line_number,
        reason,
        raw_text

    from source

)

select * from renamed
