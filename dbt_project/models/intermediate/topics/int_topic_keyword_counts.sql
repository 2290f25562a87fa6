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
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='batch_keys',
    replace_keys=['topic_id', 'keyword'],
    insert_where='keyword_papers > 0',
    on_schema_change='fail',
    tags=['learned_topics'],
    post_hook=[
        "delete from build_state.paper_topics_before",
        "delete from build_state.paper_topics_before_papers",
        "delete from build_state.terms_before",
        "delete from build_state.terms_before_papers",
    ]
) }}
with

paper_topics as (

    select * from {{ ref('paper_topics') }}

),

terms as (

    select * from {{ ref('stg_learned__paper_terms') }}

),

{% if is_incremental() %}

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

    -- Integer keys for the aggregate over every (topic, keyword) pair of the history: on integers
    -- DuckDB spills it to disk (it runs in 300 MB at 100k papers); on the strings it kept its
    -- 4M groups in memory and ran out of a 1 GB memory_limit (bench/RESULTS.md).
    keyword_keys as (

        select
            keyword,
            row_number() over (order by keyword) as keyword_key

        from (select distinct terms.keyword from terms) as keywords

    ),

    topic_keys as (

        select
            kind,
            topic_id,
            row_number() over (order by kind, topic_id) as topic_key

        from (
            select distinct
                paper_topics.kind,
                paper_topics.topic_id
            from paper_topics
        ) as topics

    ),

    keyed_counts as (

        select
            topic_keys.topic_key,
            keyword_keys.keyword_key,
            count(*) as keyword_papers

        from paper_topics
        inner join topic_keys
            on
                paper_topics.kind = topic_keys.kind
                and paper_topics.topic_id = topic_keys.topic_id
        inner join terms
            on paper_topics.paper_id = terms.paper_id
        inner join keyword_keys
            on terms.keyword = keyword_keys.keyword
        group by topic_keys.topic_key, keyword_keys.keyword_key

    ),

    final as (

        select
            topic_keys.kind,
            topic_keys.topic_id,
            keyword_keys.keyword,
            keyed_counts.keyword_papers

        from keyed_counts
        inner join topic_keys
            on keyed_counts.topic_key = topic_keys.topic_key
        inner join keyword_keys
            on keyed_counts.keyword_key = keyword_keys.keyword_key

    )

{% endif %}

select * from final
