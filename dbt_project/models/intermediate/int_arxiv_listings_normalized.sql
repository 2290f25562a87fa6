-- One row per accepted arXiv listing line (every file, every repeat) with normalised fields:
-- bare arXiv id (macro normalize_arxiv_id), whitespace-collapsed title and author names.
-- file_occurrence = 1 marks the first line of an id in its file (cross-list repeats get 2, 3, ...).
-- Every column is a function of the line's own file (the window's partition holds listing_date,
-- which the file determines), so a filter on listing_date reaches the raw table scan: an
-- incremental run reads only the changed days. The latest version of a paper, which needs all
-- its files, is int_arxiv_papers_latest's.
-- Incremental (macros/incremental.sql): a table, so that int_arxiv_papers_latest finds a paper's
-- lines by its normalised id without normalising every line of the history again.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='days',
    on_schema_change='fail'
) }}
with

-- Read twice (the rows, the occurrence numbers): not materialised, so that it is not spooled whole
-- with every abstract.
records as not materialized (

    select * from {{ ref('stg_arxiv_listings__papers') }}
    {% if is_incremental() %}
        where listing_date in ({{ changed_days_list() }})
    {% endif %}

),

normalized as (

    select
        landing_path,
        source_file,
        listing_date,
        as_of,
        position,
        line_number,
        arxiv_id_raw,
        {{ normalize_arxiv_id('arxiv_id_raw') }} as arxiv_id,
        {{ clean_whitespace('title_raw') }} as title,
        title_key,
        abstract,
        list_filter(
            list_transform(authors, lambda author: {{ clean_whitespace('author') }}),
            lambda author_name: author_name is not null
        ) as author_names,
        len(authors) as author_count,
        categories,
        primary_category,
        nullif(trim(comment), '') as arxiv_comment

    from records

),

-- Each line's place among its id's lines in its file, numbered on the keys alone (the id
-- normalised again here, from the raw id): a window over every column spilled 3.3 GB of abstracts
-- at 800MB with 1M papers, and numbering the normalised rows made DuckDB spool them whole
-- (bench/RESULTS.md, session 15).
occurrences as (

    select
        landing_path,
        position,
        row_number() over (
            partition by landing_path, listing_date, {{ normalize_arxiv_id('arxiv_id_raw') }}
            order by position asc
        ) as file_occurrence

    from records

),

final as (

    select
        normalized.*,
        occurrences.file_occurrence

    from normalized
    inner join occurrences
        on
            normalized.landing_path = occurrences.landing_path
            and normalized.position = occurrences.position

)

select * from final
