{{ config(meta={"dagster": {"ref": {"name": "dim_papers"}}}) }}

-- Every arXiv id of the listings is exactly one dim_papers row, with the categories of its latest
-- version, its first listing date and arxiv_listings among its sources.
select
    arxiv.arxiv_id,
    count(papers.paper_id) as dim_rows

from {{ ref('int_arxiv_papers_latest') }} as arxiv
left join {{ ref('dim_papers') }} as papers
    on arxiv.arxiv_id = papers.paper_id
group by arxiv.arxiv_id
having
    count(papers.paper_id) != 1
    or bool_or(papers.primary_category is distinct from arxiv.primary_category)
    or bool_or(papers.categories is distinct from arxiv.categories)
    or bool_or(papers.first_arxiv_listed_on is distinct from arxiv.first_listed_on)
    or not bool_and(list_contains(papers.sources, 'arxiv_listings'))
