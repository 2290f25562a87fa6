-- Papers per arXiv primary category and period (ISO week starting Monday, month). Each arXiv paper
-- counts once, in the period of its first arXiv listing (dim_papers.first_arxiv_listed_on), under the
-- primary category of its latest version; cross-list and weekend repeats therefore count once.
-- share_of_papers = papers / period_papers (all arXiv papers first listed in the period), 6 decimals.
-- Sparse: a (period, category) without papers has no row.
with

papers as (

    select * from {{ ref('dim_papers') }}

),

period_types as (

    select unnest(['week', 'month']) as period_type

),

listed as (

    select
        period_types.period_type,
        cast(date_trunc(period_types.period_type, papers.first_arxiv_listed_on) as date) as period_start,
        papers.primary_category,
        papers.paper_id

    from papers
    cross join period_types
    where papers.primary_category is not null and papers.first_arxiv_listed_on is not null

),

category_periods as (

    select
        period_type,
        period_start,
        primary_category,
        count(*) as papers

    from listed
    group by period_type, period_start, primary_category

),

period_totals as (

    select
        period_type,
        period_start,
        count(*) as period_papers

    from listed
    group by period_type, period_start

),

final as (

    select
        category_periods.period_type,
        category_periods.period_start,
        category_periods.primary_category,
        category_periods.papers,
        period_totals.period_papers,
        round(category_periods.papers / period_totals.period_papers, 6) as share_of_papers

    from category_periods
    inner join period_totals
        on
            category_periods.period_type = period_totals.period_type
            and category_periods.period_start = period_totals.period_start

)

select * from final
order by period_type, period_start, primary_category
