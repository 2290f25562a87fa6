-- The current leaderboards: trending_papers at the latest as-of date, which is the latest Daily-Papers
-- listing date in the data (every listing date is an as-of date), so "today" never depends on the
-- clock: today (day window), this week (ISO week to date) and this month (month to date).
with

trending as (

    select * from {{ ref('trending_papers') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

latest as (

    select * from trending
    where as_of_date = (select max(all_rankings.as_of_date) from trending as all_rankings)

),

final as (

    select
        latest.window_type,
        case latest.window_type
            when 'day' then 'today'
            when 'week' then 'this_week'
            else 'this_month'
        end as window_label,
        latest.as_of_date,
        latest.window_start,
        latest.rank,
        latest.paper_id,
        papers.title,
        latest.score,
        latest.upvotes,
        latest.comments,
        latest.has_code,
        latest.velocity_per_hour,
        latest.age_hours,
        latest.decay,
        latest.gravity,
        latest.upvotes_component,
        latest.comments_component,
        latest.code_component,
        latest.velocity_component,
        latest.gravity_component,
        latest.listed_on,
        latest.primary_category,
        latest.submitted_by,
        latest.organization

    from latest
    left join papers
        on latest.paper_id = papers.paper_id

)

select * from final
order by case window_type when 'day' then 1 when 'week' then 2 else 3 end, rank
