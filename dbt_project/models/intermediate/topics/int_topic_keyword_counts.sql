-- Per topic and keyword, the papers of the topic that carry the keyword: n(t, c) of the c-TF-IDF
-- in topic_keywords (paper_topics x the learned step's keywords, stg_learned__paper_terms).
--
-- Incremental: a join of every paper's topics with its keywords (about 20 x 90 per paper) is the
-- history's cost, so a run adds what changed instead. A paper whose topics or keywords changed
-- since these counts last took it in has a before-image (build_state: paper_topics_before from
-- paper_topics' replace, terms_before from the learned step, the first image kept until applied);
-- its contribution now (its rows today) minus its contribution then (the before-image, or today's
-- rows when only the other half changed) is added to the counts, in the transaction that clears
-- the before-images (post_hook), so that a retried run never adds it twice. The batch holds the
-- new count of every (topic, keyword) it touches; a count of 0 is deleted.
-- A full build counts the whole history in passes over runs of topics (pre-hook,
-- macros/topic_keyword_passes.sql): the join is 1.7 B rows at 1M papers.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='batch_keys',
    replace_keys=['topic_id', 'keyword'],
    insert_where='keyword_papers > 0',
    on_schema_change='fail',
    tags=['learned_topics'],
    pre_hook="{{ count_topic_keywords_in_passes(ref('paper_topics'), ref('stg_learned__paper_terms')) }}",
    post_hook=[
        "drop schema if exists topic_keyword_passes cascade",
        "delete from build_state.paper_topics_before",
        "delete from build_state.paper_topics_before_papers",
        "delete from build_state.terms_before",
        "delete from build_state.terms_before_papers",
    ]
) }}
-- depends_on: {{ ref('paper_topics') }}
-- depends_on: {{ ref('stg_learned__paper_terms') }}
with

{% if is_incremental() %}

    paper_topics as (

        select * from {{ ref('paper_topics') }}

    ),

    terms as (

        select * from {{ ref('stg_learned__paper_terms') }}

    ),

    changed as (

        select paper_id from build_state.paper_topics_before_papers
        union
        select paper_id from build_state.terms_before_papers

    ),

    topics_now as (

        select
            paper_id,
            topic_id,
            kind

        from paper_topics
        where paper_id in (select changed.paper_id from changed)

    ),

    terms_now as (

        select
            paper_id,
            keyword

        from terms
        where paper_id in (select changed.paper_id from changed)

    ),

    topics_then as (

        select
            paper_id,
            topic_id,
            kind

        from build_state.paper_topics_before

        union all

        select
            paper_id,
            topic_id,
            kind

        from topics_now
        where paper_id not in (select kept.paper_id from build_state.paper_topics_before_papers as kept)

    ),

    terms_then as (

        select
            paper_id,
            keyword

        from build_state.terms_before

        union all

        select
            paper_id,
            keyword

        from terms_now
        where paper_id not in (select kept.paper_id from build_state.terms_before_papers as kept)

    ),

    contributions as (

        select
            topics_now.kind,
            topics_now.topic_id,
            terms_now.keyword,
            1 as papers

        from topics_now
        inner join terms_now
            on topics_now.paper_id = terms_now.paper_id

        union all

        select
            topics_then.kind,
            topics_then.topic_id,
            terms_then.keyword,
            -1 as papers

        from topics_then
        inner join terms_then
            on topics_then.paper_id = terms_then.paper_id

    ),

    delta as (

        select
            kind,
            topic_id,
            keyword,
            sum(papers) as papers

        from contributions
        group by kind, topic_id, keyword
        having sum(papers) != 0

    ),

    final as (

        select
            delta.kind,
            delta.topic_id,
            delta.keyword,
            cast(coalesce(counted.keyword_papers, 0) + delta.papers as bigint) as keyword_papers

        from delta
        left join {{ this }} as counted
            on
                delta.topic_id = counted.topic_id
                and delta.keyword = counted.keyword

    )

{% else %}

    -- The pre-hook counted every (topic, keyword) pair of the history, in passes over runs of
    -- topics on integer keys (macros/topic_keyword_passes.sql); here they get their names back.
    final as (

        select
            topics.kind,
            topics.topic_id,
            keywords.keyword,
            counts.keyword_papers

        from topic_keyword_passes.counts as counts
        inner join topic_keyword_passes.topics as topics
            on counts.topic_key = topics.topic_key
        inner join topic_keyword_passes.keywords as keywords
            on counts.keyword_key = keywords.keyword_key

    )

{% endif %}

select * from final
