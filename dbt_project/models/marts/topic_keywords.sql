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

-- The totals are aggregates over the counts joined back to them: small tables (a row per topic,
-- per keyword of a kind, per kind) that the 11.8M counts at 1M papers probe, 3.9 s at a 1 GB
-- memory_limit. Window sums over the counts (the earlier form) sorted them three times: 13.6 s.
class_totals as (

    select
        kind,
        topic_id,
        sum(keyword_papers) as class_total

    from class_counts
    group by kind, topic_id

),

kind_means as (

    select
        kind,
        sum(class_total) / count(*) as mean_class_total

    from class_totals
    group by kind

),

keyword_totals as (

    select
        kind,
        keyword,
        sum(keyword_papers) as keyword_total

    from class_counts
    group by kind, keyword

),

weighted as (

    select
        class_counts.topic_id,
        class_counts.keyword,
        class_counts.keyword_papers,
        class_counts.keyword_papers / class_totals.class_total
        * pow(ln(1 + kind_means.mean_class_total / keyword_totals.keyword_total), {{ var('ctfidf_idf_power') }})
            as weight

    from class_counts
    inner join keyword_totals
        on
            class_counts.kind = keyword_totals.kind
            and class_counts.keyword = keyword_totals.keyword
    inner join class_totals
        on class_counts.topic_id = class_totals.topic_id
    inner join kind_means
        on class_counts.kind = kind_means.kind

),

-- Each topic's best candidates by weight desc, keyword asc: min_by(..., n) over (-weight, keyword)
-- keeps n per topic in a heap, where a window would sort every (topic, keyword) of the history.
best as (

    select
        topic_id,
        min_by(
            struct_pack(
                keyword := keyword,
                keyword_papers := keyword_papers,
                weight := weight
            ),
            struct_pack(weight := -weight, keyword := keyword),
            {{ var('topic_keyword_candidates') }}
        ) as ranked

    from weighted
    group by topic_id

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
