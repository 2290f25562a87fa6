-- Every learned topic id ever issued, active or retired. Rename and cast only; run bookkeeping
-- (created/updated run ids and times) stays in the raw table.
with

source as (

    select * from {{ source('learned', 'learned_topic_registry') }}

),

renamed as (

    select
        topic_id,
        status,
        label as fit_label,
        cast(papers as bigint) as fit_papers

    from source

)

select * from renamed
