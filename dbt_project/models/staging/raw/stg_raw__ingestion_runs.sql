-- One row per ingestion run, source and landed file. Rename and cast only.
with

source as (

    select * from {{ source('audit', 'ingestion_runs') }}

),

renamed as (

    select
        run_id,
        cast(ingested_at as timestamp) as ingested_at,
        source,
        landing_path,
        source_file,
        cast(listing_date as date) as listing_date,
        cast(records_read as bigint) as records_read,
        cast(records_accepted as bigint) as records_accepted,
        cast(records_quarantined as bigint) as records_quarantined

    from source

)

select * from renamed
