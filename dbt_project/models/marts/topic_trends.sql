-- Per topic and period (ISO week starting Monday, month): how many of the papers listed in the
-- period carry the topic, their latest upvotes, and their share of all papers listed in the period.
-- Sparse: a (topic, period) without papers has no row.
with

listings as (

    select * from {{ ref('int_daily_listings_latest') }}

),

paper_topics as (

    select * from {{ ref('paper_topics') }}

),

topics as (

    select * from {{ ref('dim_topics') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

period_types as (

    select unnest(['week', 'month']) as period_type

),

listed as (

    select distinct
        period_types.period_type,
        cast(date_trunc(period_types.period_type, listings.listing_date) as date) as period_start,
        listings.paper_id

    from listings
    cross join period_types

),

period_totals as (

    select
        period_type,
        period_start,
        count(*) as period_papers

    from listed
    group by period_type, period_start

),

topic_periods as (

    select
        paper_topics.topic_id,
        listed.period_type,
        listed.period_start,
        count(*) as papers,
        coalesce(sum(papers.latest_upvotes), 0) as upvotes

    from listed
    inner join paper_topics
        on listed.paper_id = paper_topics.paper_id
    inner join papers
        on listed.paper_id = papers.paper_id
    group by paper_topics.topic_id, listed.period_type, listed.period_start

),

final as (

    select
        topic_periods.topic_id,
        topics.label,
        topic_periods.period_type,
        topic_periods.period_start,
        topic_periods.papers,
        cast(topic_periods.upvotes as bigint) as upvotes,
        period_totals.period_papers,
        round(topic_periods.papers / period_totals.period_papers, 6) as share_of_papers

    from topic_periods
    inner join period_totals
        on
            topic_periods.period_type = period_totals.period_type
            and topic_periods.period_start = period_totals.period_start
    inner join topics
        on topic_periods.topic_id = topics.topic_id

)

select * from final
order by topic_id, period_type, period_start
