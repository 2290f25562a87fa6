-- Dense topic × period counts, the input of topic_trends. Periods (ISO week starting Monday,
-- month) are those in which at least one paper is on a Daily-Papers list; a paper counts in every
-- period whose lists hold it. Every topic with at least one listed paper gets a row for every
-- period of each period type, papers = 0 where none of its papers is listed, so that trailing
-- windows see the zeros. period_index numbers the periods with listings, 1 = earliest.
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

periods as (

    select
        period_type,
        period_start,
        count(*) as period_papers,
        row_number() over (partition by period_type order by period_start) as period_index

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

listed_topics as (

    select distinct topic_id from topic_periods

),

final as (

    select
        topics.topic_id,
        topics.kind,
        topics.label,
        periods.period_type,
        periods.period_start,
        periods.period_index,
        coalesce(topic_periods.papers, 0) as papers,
        cast(coalesce(topic_periods.upvotes, 0) as bigint) as upvotes,
        periods.period_papers

    from listed_topics
    inner join topics
        on listed_topics.topic_id = topics.topic_id
    cross join periods
    left join topic_periods
        on
            listed_topics.topic_id = topic_periods.topic_id
            and periods.period_type = topic_periods.period_type
            and periods.period_start = topic_periods.period_start

)

select * from final
