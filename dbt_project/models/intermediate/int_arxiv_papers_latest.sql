-- One row per arXiv paper (normalised arXiv id): cross-list duplicates inside a file and repeats
-- across files (weekend copies of Friday, re-listings) collapse to the latest version, i.e. the
-- line with the latest listing_date, then as_of, then landing_path, position. first_listed_on is
-- the earliest listing date of the id, whichever version.
-- Incremental (macros/incremental.sql): a paper's row depends on its own lines only, so a run
-- recomputes the changed papers (scope arxiv_papers: arxiv_id among changed_papers()).
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='arxiv_papers',
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_papers_resolved') }}
with

-- Read three times (stats, ranks, the winners' columns): not materialised, so that it is not
-- spooled whole with every abstract.
records as not materialized (

    select * from {{ ref('int_arxiv_listings_normalized') }}
    {% if is_incremental() %}
        where arxiv_id in ({{ changed_papers() }})
    {% endif %}

),

listing_stats as (

    select
        arxiv_id,
        min(listing_date) as first_listed_on,
        max(listing_date) as last_listed_on,
        count(distinct listing_date) as listing_days,
        count(*) as listing_records

    from records
    group by arxiv_id

),

-- Each line's place among its id's lines (1 = the latest version), sorted on the keys alone: a
-- window that carried every column spilled the abstracts at 800MB with 1M papers, as
-- int_papers_merged's did (bench/RESULTS.md, sessions 13 and 14).
version_ranks as (

    select
        landing_path,
        position,
        row_number() over (
            partition by arxiv_id
            order by listing_date desc, as_of desc, landing_path asc, position asc
        ) as version_rank

    from records

),

latest as (

    select records.*

    from records
    inner join version_ranks
        on
            records.landing_path = version_ranks.landing_path
            and records.position = version_ranks.position
    where version_ranks.version_rank = 1

),

final as (

    select
        latest.arxiv_id,
        latest.title,
        latest.title_key,
        latest.abstract,
        latest.author_names,
        latest.author_count,
        latest.categories,
        latest.primary_category,
        latest.arxiv_comment,
        listing_stats.first_listed_on,
        listing_stats.last_listed_on,
        listing_stats.listing_days,
        listing_stats.listing_records,
        latest.listing_date as version_listing_date,
        latest.as_of as version_as_of,
        latest.landing_path as version_landing_path,
        latest.position as version_position

    from latest
    inner join listing_stats
        on latest.arxiv_id = listing_stats.arxiv_id

)

select * from final
