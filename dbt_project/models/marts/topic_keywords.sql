-- The keywords that set each topic apart, weighted by c-TF-IDF (pipelines/topics/ctfidf.py has
-- the same formula). The classes are the topics of one kind. For keyword t and topic c:
--   n(t, c) = papers of c that carry t (paper_keywords),
--   tf(t, c) = n(t, c) / sum over t' of n(t', c),
--   idf(t) = ln(1 + A / sum over the kind's topics c' of n(t, c')), A = mean of sum_t n(t, c) over them,
--   weight = tf * idf ^ var('ctfidf_idf_power').
-- Of each topic's var('topic_keyword_candidates') best keywords, one that contains or sits
-- inside (as whole words) a better-ranked one is dropped ('large language model' keeps out
-- 'language model'); the best var('topic_top_keywords') of the rest are kept, rank 1 = best.
-- The counts n(t, c) are int_topic_keyword_counts' (kept up to date incrementally); the weights,
-- which move with every count through the idf and the kind's mean, are computed here from them.
with

class_counts as (

    select * from {{ ref('int_topic_keyword_counts') }}

),

-- The totals as window sums over the counts, not as aggregates joined back to them: at 1M
-- papers (11.8M counts) DuckDB built the joins' hash tables on the counts' side and could not
-- pin them within a 1 GB memory_limit, where these sorts spill (13 s; the same rows).
totals as (

    select
        topic_id,
        kind,
        keyword,
        keyword_papers,
        sum(keyword_papers) over (partition by topic_id) as class_total,
        sum(keyword_papers) over (partition by kind, keyword) as keyword_total,
        sum(keyword_papers) over (partition by kind) as kind_total

    from class_counts

),

kind_topics as (

    select
        kind,
        count(distinct topic_id) as topics

    from class_counts
    group by kind

),

weighted as (

    select
        totals.topic_id,
        totals.keyword,
        totals.keyword_papers,
        totals.keyword_papers / totals.class_total
        * pow(ln(1 + (totals.kind_total / kind_topics.topics) / totals.keyword_total), {{ var('ctfidf_idf_power') }})
            as weight

    from totals
    inner join kind_topics
        on totals.kind = kind_topics.kind

),

-- Each topic's best candidates by weight desc, keyword asc: max_by(..., n) keeps n per topic in a
-- heap, where a window would sort every (topic, keyword) of the history (most of the cost). The
-- keyword's alphabetical position, negated, breaks ties the way "keyword asc" does.
keyword_order as (

    select
        keyword,
        row_number() over (order by keyword) as alphabetical

    from (select distinct weighted.keyword from weighted) as keywords

),

best as (

    select
        weighted.topic_id,
        max_by(
            struct_pack(
                keyword := weighted.keyword,
                keyword_papers := weighted.keyword_papers,
                weight := weighted.weight
            ),
            struct_pack(weight := weighted.weight, alphabetical := -keyword_order.alphabetical),
            {{ var('topic_keyword_candidates') }}
        ) as ranked

    from weighted
    inner join keyword_order
        on weighted.keyword = keyword_order.keyword
    group by weighted.topic_id

),

positions as (

    select
        topic_id,
        ranked,
        unnest(generate_series(1, len(ranked))) as candidate_rank

    from best

),

candidates as (

    select
        topic_id,
        ranked[candidate_rank].keyword as keyword,
        ranked[candidate_rank].keyword_papers as keyword_papers,
        ranked[candidate_rank].weight as weight,
        candidate_rank

    from positions

),

nested as (

    select distinct
        candidates.topic_id,
        candidates.keyword

    from candidates
    inner join candidates as better
        on
            candidates.topic_id = better.topic_id
            and candidates.candidate_rank > better.candidate_rank
            and (
                contains(' ' || better.keyword || ' ', ' ' || candidates.keyword || ' ')
                or contains(' ' || candidates.keyword || ' ', ' ' || better.keyword || ' ')
            )

),

final as (

    select
        candidates.topic_id,
        row_number() over (
            partition by candidates.topic_id order by candidates.weight desc, candidates.keyword asc
        ) as rank,
        candidates.keyword,
        round(candidates.weight, 9) as weight,
        candidates.keyword_papers

    from candidates
    left join nested
        on
            candidates.topic_id = nested.topic_id
            and candidates.keyword = nested.keyword
    where nested.keyword is null
    qualify rank <= {{ var('topic_top_keywords') }}

)

select * from final
order by topic_id, rank
