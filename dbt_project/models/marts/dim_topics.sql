-- One row per topic of the three kinds (see paper_topics): keyword topics (folded HF ai_keywords
-- carried by at least var('min_topic_papers') papers), taxonomy topics (seed topic_taxonomy) and
-- learned topics (every id the registry ever issued, retired ones included). A learned topic's
-- label is its top 3 c-TF-IDF keywords (topic_keywords), joined by ' / '.
with

vocabulary as (

    select * from {{ ref('int_topic_vocabulary') }}

),

taxonomy as (

    select * from {{ ref('int_taxonomy_topics') }}

),

registry as (

    select * from {{ ref('stg_learned__topic_registry') }}

),

paper_topics as (

    select * from {{ ref('paper_topics') }}

),

topic_keywords as (

    select * from {{ ref('topic_keywords') }}

),

papers as (

    select * from {{ ref('dim_papers') }}

),

keyword_lists as (

    select
        topic_id,
        list(keyword order by rank) as top_keywords

    from topic_keywords
    group by topic_id

),

topics as (

    select
        topic_id,
        'keyword' as kind,
        label,
        cast(null as varchar) as parent_topic_id,
        cast(null as varchar) as match_pattern,
        'active' as status,
        keyword_paper_count

    from vocabulary

    union all

    select
        topic_id,
        'taxonomy' as kind,
        label,
        parent_topic_id,
        match_pattern,
        'active' as status,
        cast(null as bigint) as keyword_paper_count

    from taxonomy

    union all

    select
        registry.topic_id,
        'learned' as kind,
        coalesce(array_to_string(keyword_lists.top_keywords[1:3], ' / '), registry.fit_label) as label,
        cast(null as varchar) as parent_topic_id,
        cast(null as varchar) as match_pattern,
        registry.status,
        cast(null as bigint) as keyword_paper_count

    from registry
    left join keyword_lists
        on registry.topic_id = keyword_lists.topic_id

),

coverage as (

    select
        paper_topics.topic_id,
        count(distinct paper_topics.paper_id) as paper_count,
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
        topics.kind,
        topics.label,
        topics.parent_topic_id,
        topics.match_pattern,
        topics.status,
        coalesce(coverage.paper_count, 0) as paper_count,
        topics.keyword_paper_count,
        coverage.first_seen_on,
        coverage.last_seen_on,
        coalesce(keyword_lists.top_keywords, []) as top_keywords

    from topics
    left join coverage
        on topics.topic_id = coverage.topic_id
    left join keyword_lists
        on topics.topic_id = keyword_lists.topic_id

)

select * from final
order by topic_id
