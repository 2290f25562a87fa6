-- One row per topic of the vocabulary, with how many papers it covers and when it was first listed.
with

topics as (

    select * from {{ ref('int_topic_vocabulary') }}

),

paper_topics as (

    select * from {{ ref('paper_topics') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

coverage as (

    select
        paper_topics.topic_id,
        count(distinct paper_topics.paper_id) as paper_count,
        count(distinct paper_topics.paper_id) filter (
            where paper_topics.match_source = 'title'
        ) as title_only_paper_count,
        min(papers.first_listed_on) as first_seen_on,
        max(papers.first_listed_on) as last_seen_on

    from paper_topics
    inner join papers
        on paper_topics.paper_id = papers.paper_id
    group by paper_topics.topic_id

),

final as (

    select
        topics.topic_id,
        topics.label,
        topics.keyword_paper_count,
        coalesce(coverage.paper_count, 0) as paper_count,
        coalesce(coverage.title_only_paper_count, 0) as title_only_paper_count,
        coverage.first_seen_on,
        coverage.last_seen_on

    from topics
    left join coverage
        on topics.topic_id = coverage.topic_id

)

select * from final
order by topic_id
