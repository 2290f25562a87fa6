-- How well each source joins the others: per source, the papers it observed and how many of them
-- at least one other source also observed. HF and arXiv papers match by normalised arXiv id; seed
-- page papers have no id and match only through title_key, so the seed_page row is the seed-page
-- title match rate. One row per known source, also when it has no papers (match_rate null then).
with

papers as (

    select * from {{ ref('dim_papers') }}

),

known_sources as (

    select
        'hf_daily_papers' as source,
        'arxiv_id' as match_key
    union all
    select
        'arxiv_listings' as source,
        'arxiv_id' as match_key
    union all
    select
        'seed_page' as source,
        'title_key' as match_key

),

paper_sources as (

    select
        paper_id,
        unnest(sources) as source,
        len(sources) > 1 as seen_elsewhere

    from papers

),

per_source as (

    select
        source,
        count(*) as source_papers,
        count(*) filter (where seen_elsewhere) as matched_papers

    from paper_sources
    group by source

),

final as (

    select
        known_sources.source,
        known_sources.match_key,
        coalesce(per_source.source_papers, 0) as papers,
        coalesce(per_source.matched_papers, 0) as matched_papers,
        coalesce(per_source.source_papers, 0) - coalesce(per_source.matched_papers, 0) as unmatched_papers,
        round(per_source.matched_papers / per_source.source_papers, 6) as match_rate

    from known_sources
    left join per_source
        on known_sources.source = per_source.source

)

select * from final
order by source
