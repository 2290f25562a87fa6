-- Keywords of each paper, as the Python tokeniser wrote them. Rename and cast only.
with

source as (

    select * from {{ source('learned', 'paper_terms') }}

),

renamed as (

    select
        paper_id,
        keyword,
        cast(words as integer) as words,
        cast(occurrences as bigint) as occurrences,
        cast(title_occurrences as bigint) as title_occurrences,
        cast(from_ai_keywords as boolean) as from_ai_keywords

    from source

)

select * from renamed
