-- One row: the papers that carry at least one vocabulary keyword (the N of paper_keywords' TF-IDF
-- and of dim_keywords.paper_share). A table, counted once per run, so that the paper_keywords view
-- does not count it on every query.
{{ config(materialized='table', tags=['learned_topics']) }}
with

terms as (

    select * from {{ ref('stg_learned__paper_terms') }}

)

select count(distinct paper_id) as papers from terms
