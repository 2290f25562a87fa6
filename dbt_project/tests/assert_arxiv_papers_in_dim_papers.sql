{{ config(meta={"dagster": {"ref": {"name": "dim_papers"}}}) }}

-- Every paper an arXiv listing observed is exactly one dim_papers row, keyed by its arXiv id, with a
-- primary category (the first of its categories), its first listing date and arxiv_listings among its
-- sources. Both parents are marts, so the test never runs before dim_papers is built.
with

arxiv_observations as (

    select
        paper_id,
        min(listing_date) as first_listed_on

    from {{ ref('fct_paper_snapshots') }}
    where source = 'arxiv_listings'
    group by paper_id

),

papers as (

    select * from {{ ref('dim_papers') }}

)

select
    arxiv_observations.paper_id,
    count(papers.paper_id) as dim_rows

from arxiv_observations
left join papers
    on arxiv_observations.paper_id = papers.paper_id
group by arxiv_observations.paper_id, arxiv_observations.first_listed_on
having
    count(papers.paper_id) != 1
    or bool_or(papers.arxiv_id is distinct from papers.paper_id)
    or bool_or(papers.primary_category is null)
    or bool_or(papers.primary_category is distinct from papers.categories[1])
    or bool_or(papers.first_arxiv_listed_on is distinct from arxiv_observations.first_listed_on)
    or not bool_and(list_contains(papers.sources, 'arxiv_listings'))
