-- Which paper is about which topic, for the three kinds of topic:
--   keyword: its ai_keywords carry the label ('ai_keywords'), else its clean lowercased title
--     contains the label as whole words, singular or plural ('title');
--   taxonomy: int_paper_taxonomy_topics ('title', 'ai_keywords', 'abstract', 'subtopic');
--   learned: the paper's cluster in the last fit ('learned', score = cosine to the centroid).
-- A title contains a label as whole words when one of its runs of consecutive words (word
-- n-grams of at most as many words as the longest label) equals the label, or the label with an
-- 's' appended: an equality join instead of testing every title against every label.
--
-- Incremental (macros/incremental.sql, scope topic_papers): a run recomputes every row of the
-- papers whose text or snapshots changed (changed_papers), whose learned topic the learned step
-- changed (build_state.learned_changes), and whose keyword topics a vocabulary change reaches:
-- a label that entered the vocabulary (its carriers and the titles that contain it) or left it
-- (the papers that had it). The rows it replaces are kept as a before-image for the keyword counts
-- of topic_keywords (int_topic_keyword_counts).
-- The scope is worked out once, by the pre-hook, into build_state.paper_topics_scope: the batch,
-- the before-image and the delete all read it.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='topic_papers',
    before_image='build_state.paper_topics_before',
    on_schema_change='fail',
    pre_hook="{{ materialize_topic_scope() }}"
) }}
-- depends_on: {{ ref('int_papers_resolved') }}
-- depends_on: {{ ref('int_paper_ai_keywords') }}
with

papers as (

    select * from {{ ref('dim_papers') }}
    {% if is_incremental() %}
        where paper_id in (select scope.paper_id from {{ topic_scope_relation() }} as scope)
    {% endif %}

),

titles as (

    select * from {{ ref('int_paper_title_tokens') }}
    where paper_id in (select papers.paper_id from papers)

),

vocabulary as (

    select * from {{ ref('int_topic_vocabulary') }}

),

keywords as (

    select * from {{ ref('int_paper_keywords_normalized') }}
    where paper_id in (select papers.paper_id from papers)

),

taxonomy_matches as (

    select * from {{ ref('int_paper_taxonomy_topics') }}
    where paper_id in (select papers.paper_id from papers)

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

title_words as (

    select
        paper_id,
        string_split(trim(title_tokens), ' ') as words

    from titles

),

longest_label as (

    select coalesce(max(len(string_split(label_tokens, ' '))), 0) as words from vocabulary

),

ngram_starts as (

    select
        title_words.paper_id,
        title_words.words,
        unnest(generate_series(1, len(title_words.words))) as first_word

    from title_words

),

ngram_spans as (

    select
        ngram_starts.paper_id,
        ngram_starts.words,
        ngram_starts.first_word,
        unnest(
            generate_series(
                ngram_starts.first_word,
                least(len(ngram_starts.words), ngram_starts.first_word + longest_label.words - 1)
            )
        ) as last_word

    from ngram_starts
    cross join longest_label

),

title_ngrams as (

    select distinct
        paper_id,
        array_to_string(words[first_word:last_word], ' ') as ngram

    from ngram_spans

),

title_matches as (

    select
        title_ngrams.paper_id,
        vocabulary.topic_id

    from title_ngrams
    inner join vocabulary
        on title_ngrams.ngram = vocabulary.label_tokens

    union

    select
        title_ngrams.paper_id,
        vocabulary.topic_id

    from title_ngrams
    inner join vocabulary
        on title_ngrams.ngram = vocabulary.label_tokens || 's'

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
