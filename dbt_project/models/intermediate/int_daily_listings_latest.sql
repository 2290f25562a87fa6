-- Day membership: for each listing_date, the papers of the latest (by as_of) HF file version
-- whose shape is a list of papers ('array' or 'wrapper') and that yielded at least one record.
-- '1' markers, no_data answers and empty files never define (and so never empty) a day.
-- Incremental (macros/incremental.sql): a day's members depend on that day's files only, so a
-- run recomputes the changed days.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='days',
    on_schema_change='fail'
) }}
with

records as (

    select * from {{ ref('int_papers_normalized') }}
    {% if is_incremental() %}
        where listing_date in ({{ changed_days_list() }})
    {% endif %}

),

files as (

    select * from {{ ref('stg_raw__landed_files') }}
    {% if is_incremental() %}
        where listing_date in ({{ changed_days_list() }})
    {% endif %}

),

list_files as (

    select
        files.landing_path,
        files.listing_date,
        files.as_of,
        row_number() over (
            partition by files.listing_date
            order by files.as_of desc, files.landing_path desc
        ) as version_rank

    from files
    where
        files.file_shape in ('array', 'wrapper')
        and files.landing_path in (select records.landing_path from records)

),

latest_files as (

    select * from list_files
    where version_rank = 1

),

members as (

    select
        records.listing_date,
        records.paper_id,
        records.landing_path,
        records.source_file,
        records.as_of,
        records.position,
        row_number() over (
            partition by records.listing_date, records.paper_id
            order by records.position
        ) as occurrence

    from records
    inner join latest_files
        on records.landing_path = latest_files.landing_path

)

select
    listing_date,
    paper_id,
    landing_path,
    source_file,
    as_of,
    position

from members
where occurrence = 1
