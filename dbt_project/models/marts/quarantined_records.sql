-- Every quarantined record, with a stable key. Never dropped, never fixed.
with

quarantine as (

    select * from {{ ref('stg_raw__quarantine') }}

),

final as (

    select
        md5(
            coalesce(source, '') || '|' || coalesce(landing_path, '') || '|'
            || coalesce(cast(position as varchar), '') || '|'
            || coalesce(cast(line_number as varchar), '') || '|' || coalesce(reason, '')
        ) as record_key,
        source,
        landing_path,
        source_file,
        listing_date,
        position,
        line_number,
        reason,
        raw_text

    from quarantine

)

select * from final
order by source, landing_path, position, line_number, reason
