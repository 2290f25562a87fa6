{{ config(meta={"dagster": {"ref": {"name": "dim_papers"}}}) }}

-- Every HF record becomes exactly one dim_papers row for its normalised id, and every day's
-- final list is fully present in dim_papers with that day no later than first_listed_on.
select
    listings.listing_date,
    listings.paper_id

from {{ ref('int_daily_listings_latest') }} as listings
left join {{ ref('dim_papers') }} as papers
    on listings.paper_id = papers.paper_id
where
    papers.paper_id is null
    or papers.first_listed_on is null
    or papers.first_listed_on > listings.listing_date
