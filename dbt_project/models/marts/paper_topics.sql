-- Which paper is about which topic: its ai_keywords carry the topic label ('ai_keywords'), or
-- else its clean lowercased title contains the label as whole words, singular or plural ('title').
with

papers as (

    select * from {{ ref('dim_papers') }}

),

topics as (

    select * from {{ ref('int_topic_vocabulary') }}

),

paper_keywords as (

    select * from {{ ref('int_paper_keywords_normalized') }}

),

keyword_matches as (

    select distinct
        paper_keywords.paper_id,
        topics.topic_id

    from paper_keywords
    inner join topics
        on paper_keywords.topic_label = topics.label

),

title_matches as (

    select
        papers.paper_id,
        topics.topic_id

    from papers
    inner join topics
        on
            contains({{ word_tokens('papers.title') }}, ' ' || topics.label_tokens || ' ')
            or contains({{ word_tokens('papers.title') }}, ' ' || topics.label_tokens || 's ')

),

final as (

    select
        paper_id,
        topic_id,
        'ai_keywords' as match_source

    from keyword_matches

    union all

    select
        title_matches.paper_id,
        title_matches.topic_id,
        'title' as match_source

    from title_matches
    left join keyword_matches
        on
            title_matches.paper_id = keyword_matches.paper_id
            and title_matches.topic_id = keyword_matches.topic_id
    where keyword_matches.paper_id is null

)

select * from final
order by topic_id, paper_id
