-- The editable taxonomy (seed topic_taxonomy: topic, parent, pattern) with ids and ancestry.
-- topic_id = 'tax:' || the topic name lowercased, every run of non-alphanumerics one '-'.
-- ancestor_ids lists the topic's parent, grandparent, ... (nearest first).
with recursive

seed as (

    select * from {{ ref('topic_taxonomy') }}

),

topics as (

    select
        'tax:' || trim(regexp_replace(lower(trim(topic)), '[^a-z0-9]+', '-', 'g'), '-') as topic_id,
        trim(topic) as label,
        case
            when nullif(trim(parent), '') is not null
                then 'tax:' || trim(regexp_replace(lower(trim(parent)), '[^a-z0-9]+', '-', 'g'), '-')
        end as parent_topic_id,
        trim(pattern) as match_pattern

    from seed

),

ancestry (topic_id, ancestor_id, ancestor_ids) as (

    select
        topics.topic_id,
        topics.parent_topic_id as ancestor_id,
        case when topics.parent_topic_id is null then [] else [topics.parent_topic_id] end as ancestor_ids

    from topics

    union all

    select
        ancestry.topic_id,
        parents.parent_topic_id as ancestor_id,
        list_append(ancestry.ancestor_ids, parents.parent_topic_id) as ancestor_ids

    from ancestry
    inner join topics as parents
        on ancestry.ancestor_id = parents.topic_id
    where
        parents.parent_topic_id is not null
        -- a cycle in the seed stops here (and fails the taxonomy tests)
        and not list_contains(ancestry.ancestor_ids, parents.parent_topic_id)

),

final as (

    select
        topics.topic_id,
        topics.label,
        topics.parent_topic_id,
        topics.match_pattern,
        max_by(ancestry.ancestor_ids, len(ancestry.ancestor_ids)) as ancestor_ids

    from topics
    inner join ancestry
        on topics.topic_id = ancestry.topic_id
    group by topics.topic_id, topics.label, topics.parent_topic_id, topics.match_pattern

)

select
    *,
    len(ancestor_ids) as ancestor_count

from final
