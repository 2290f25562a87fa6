-- The learned topic of each paper from the last fit. Rename and cast only.
with

source as (

    select * from {{ source('learned', 'learned_topic_assignments') }}

),

renamed as (

    select
        paper_id,
        topic_id,
        cast(similarity as double) as similarity

    from source

)

select * from renamed
