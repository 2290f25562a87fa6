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

class_totals as (

    select
        topic_id,
        sum(keyword_papers) as class_total

    from class_counts
    group by topic_id

),

keyword_totals as (

    select
        kind,
        keyword,
        sum(keyword_papers) as keyword_total

    from class_counts
    group by kind, keyword

),

kind_means as (

    select
        class_counts.kind,
        sum(class_counts.keyword_papers) / count(distinct class_counts.topic_id) as mean_class_total

    from class_counts
    group by class_counts.kind

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
    inner join class_totals
        on class_counts.topic_id = class_totals.topic_id
    inner join keyword_totals
        on
            class_counts.kind = keyword_totals.kind
            and class_counts.keyword = keyword_totals.keyword
    inner join kind_means
        on class_counts.kind = kind_means.kind

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
