-- The topic vocabulary: folded keyword labels carried by at least var('min_topic_papers') papers.
-- label_tokens is the label as lowercase alphanumeric words, for whole-word title matching.
-- A table, built once per run: paper_topics reads it several times (its batch, the labels that
-- entered or left the vocabulary), and every paper's keywords go into the counts.
{{ config(materialized='table') }}
with

keywords as (

    select * from {{ ref('int_paper_keywords_normalized') }}

),

labels as (

    select
        topic_label as label,
        count(distinct paper_id) as keyword_paper_count

    from keywords
    group by topic_label
    having count(distinct paper_id) >= {{ var('min_topic_papers') }}

),

final as (

    select
        'kw:' || substr(md5(label), 1, 12) as topic_id,
        label,
        trim(regexp_replace(lower(label), '[^\p{L}\p{N}]+', ' ', 'g')) as label_tokens,
        keyword_paper_count

    from labels

)

select * from final
where label_tokens != ''
