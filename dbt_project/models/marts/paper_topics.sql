-- Which paper is about which topic, for the three kinds of topic:
--   keyword: its ai_keywords carry the label ('ai_keywords'), else its clean lowercased title
--     contains the label as whole words, singular or plural ('title');
--   taxonomy: int_paper_taxonomy_topics ('title', 'ai_keywords', 'abstract', 'subtopic');
--   learned: the paper's cluster in the last fit ('learned', score = cosine to the centroid).
with

papers as (

    select * from {{ ref('dim_papers') }}

),

vocabulary as (

    select * from {{ ref('int_topic_vocabulary') }}

),

keywords as (

    select * from {{ ref('int_paper_keywords_normalized') }}

),

taxonomy_matches as (

    select * from {{ ref('int_paper_taxonomy_topics') }}

),

learned as (

    select * from {{ ref('stg_learned__topic_assignments') }}

),

keyword_matches as (

    select distinct
        keywords.paper_id,
        vocabulary.topic_id

    from keywords
    inner join vocabulary
        on keywords.topic_label = vocabulary.label

),

title_matches as (

    select
        papers.paper_id,
        vocabulary.topic_id

    from papers
    inner join vocabulary
        on
            contains({{ word_tokens('papers.title') }}, ' ' || vocabulary.label_tokens || ' ')
            or contains({{ word_tokens('papers.title') }}, ' ' || vocabulary.label_tokens || 's ')

),

final as (

    select
        paper_id,
        topic_id,
        'keyword' as kind,
        'ai_keywords' as match_source,
        cast(null as double) as score

    from keyword_matches

    union all

    select
        title_matches.paper_id,
        title_matches.topic_id,
        'keyword' as kind,
        'title' as match_source,
        cast(null as double) as score

    from title_matches
    left join keyword_matches
        on
            title_matches.paper_id = keyword_matches.paper_id
            and title_matches.topic_id = keyword_matches.topic_id
    where keyword_matches.paper_id is null

    union all

    select
        paper_id,
        topic_id,
        'taxonomy' as kind,
        match_source,
        cast(null as double) as score

    from taxonomy_matches

    union all

    select
        learned.paper_id,
        learned.topic_id,
        'learned' as kind,
        'learned' as match_source,
        learned.similarity as score

    from learned
    inner join papers
        on learned.paper_id = papers.paper_id

)

select * from final
order by topic_id, paper_id
