-- One row per paper HF observed, with who put it on the daily list: submitted_by (HF username) and
-- organization (the live API's organization.name), each from the paper's newest HF snapshot that has
-- it (as_of desc, then landing_path, position), the same order dim_papers uses for HF attributes.
with

records as (

    select * from {{ ref('int_papers_normalized') }}

),

staged as (

    select * from {{ ref('stg_hf_daily_papers__papers') }}

),

attributed as (

    select
        records.paper_id,
        records.as_of,
        records.landing_path,
        records.position,
        records.submitted_by,
        nullif(trim(staged.organization), '') as organization

    from records
    inner join staged
        on
            records.landing_path = staged.landing_path
            and records.position = staged.position

),

final as (

    select
        paper_id,
        (
            list(submitted_by order by as_of desc, landing_path asc, position asc)
            filter (where submitted_by is not null)
        )[1] as submitted_by,
        (
            list(organization order by as_of desc, landing_path asc, position asc)
            filter (where organization is not null)
        )[1] as organization

    from attributed
    group by paper_id

)

select * from final
