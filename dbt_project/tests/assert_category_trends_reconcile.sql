{{ config(meta={"dagster": {"ref": {"name": "category_trends"}}}) }}

-- Per period the category counts add up to period_papers, every share is a fraction, and per
-- period type the periods together count every dim_papers paper with a primary category once.
with

trends as (

    select * from {{ ref('category_trends') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

bad_rows as (

    select
        period_type,
        period_start,
        'share not in (0, 1] or papers > period_papers' as problem

    from trends
    where share_of_papers <= 0 or share_of_papers > 1 or papers > period_papers

),

per_period as (

    select
        period_type,
        period_start,
        sum(papers) as papers,
        min(period_papers) as period_papers,
        max(period_papers) as max_period_papers

    from trends
    group by period_type, period_start

),

bad_periods as (

    select
        period_type,
        period_start,
        'categories do not add up to period_papers' as problem

    from per_period
    where papers != period_papers or period_papers != max_period_papers

),

expected as (

    select count(*) as papers
    from papers
    where primary_category is not null

),

per_type as (

    select
        period_types.period_type,
        coalesce(sum(per_period.papers), 0) as papers

    from (select unnest(['week', 'month']) as period_type) as period_types
    left join per_period
        on period_types.period_type = per_period.period_type
    group by period_types.period_type

),

bad_totals as (

    select
        per_type.period_type,
        cast(null as date) as period_start,
        'periods do not count every categorised paper once' as problem

    from per_type
    cross join expected
    where per_type.papers != expected.papers

)

select * from bad_rows
union all
select * from bad_periods
union all
select * from bad_totals
