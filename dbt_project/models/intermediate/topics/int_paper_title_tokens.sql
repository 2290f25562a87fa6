-- One row per paper with a title: the title as lowercase alphanumeric words, padded with one space
-- on each side (macro word_tokens), so that "the title contains the label as whole words" is a
-- substring test. paper_topics matches labels against it; a table, so that a run's new labels are
-- tested against every title without lowercasing and splitting every title again.
-- Incremental (macros/incremental.sql): a title is its paper's, so a run recomputes the changed papers.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_papers_resolved') }}
with

papers as (

    select * from {{ ref('dim_papers') }}
    where
        title is not null
        {% if is_incremental() %}
            and paper_id in ({{ changed_papers() }})
        {% endif %}

)

select
    paper_id,
    {{ word_tokens('title') }} as title_tokens

from papers
