-- What every ingestion run read from every file, and where each record went.
-- The only mart that grows with each run: it is the audit log, not a function of the input.
with

runs as (

    select * from {{ ref('stg_raw__ingestion_runs') }}

),

final as (

    select
        run_id,
        ingested_at,
        source,
        landing_path,
        source_file,
        listing_date,
        records_read,
        records_accepted,
        records_quarantined,
        records_read = records_accepted + records_quarantined as reconciles

    from runs

)

select * from final
order by ingested_at, run_id, source, landing_path
