-- Titles carry no hard wraps, tabs, double spaces or surrounding blanks.
select
    paper_id,
    title

from {{ ref('dim_papers') }}
where
    regexp_matches(title, '[\n\r\t]')
    or title like '%  %'
    or title != trim(title)
    or title = ''
