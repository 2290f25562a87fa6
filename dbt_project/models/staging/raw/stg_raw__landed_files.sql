-- The file ledger: one row per landed file of any source. Rename only.
with

source as (

    select * from {{ source('raw', 'landed_files') }}

),

renamed as (

    select
        source,
        landing_path,
        source_file,
        sha256,
        cast(listing_date as date) as listing_date,
        cast(as_of as timestamp) as as_of,
        file_shape,
        cast(records_read as bigint) as records_read,
        cast(records_accepted as bigint) as records_accepted,
        cast(records_quarantined as bigint) as records_quarantined

    from source

)

select * from renamed
