-- One row per paper HF observed, with who put it on the daily list: submitted_by (HF username) and
-- organization (the live API's organization.name), each from the paper's newest HF snapshot that has
-- it (as_of desc, then landing_path, position), the same order dim_papers uses for HF attributes.
-- Incremental (macros/incremental.sql): a paper's row depends on its own snapshots only, so a run
-- recomputes the changed papers.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
with

records as (

    select * from {{ ref('int_papers_resolved') }}
    where
        source = 'hf_daily_papers'
        {% if is_incremental() %}
            and paper_id in ({{ changed_papers() }})
        {% endif %}

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

    from records
    group by paper_id

)

select * from final
