-- share_of_papers is a fraction and papers never exceed the period's listed papers.
select *
from {{ ref('topic_trends') }}
where
    share_of_papers <= 0
    or share_of_papers > 1
    or papers > period_papers
