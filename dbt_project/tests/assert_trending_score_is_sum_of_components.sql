-- Every scored candidate's score is the sum of its component columns (up to rounding), so an analyst
-- reading the components reads the whole score; and each window holds only papers listed in it.
with

scored as (

    select * from {{ ref('int_trending_papers_scored') }}
    -- an incremental run checks the rankings of its days (macros/test_scope.sql)
    {% if execute and not full_refresh_run() %}
        where as_of_date in ({{ changed_days_list() }})
    {% endif %}

)

select
    as_of_date,
    window_type,
    paper_id,
    score

from scored
where
    abs(
        score
        - (upvotes_component + comments_component + code_component + velocity_component + gravity_component)
    ) > 1e-5
    or listed_on > as_of_date
    or age_hours < 24
    or window_start > as_of_date
