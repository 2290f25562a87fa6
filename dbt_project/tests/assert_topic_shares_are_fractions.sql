-- share_of_papers is a fraction (0 for a period without the topic's papers: topic_trends is
-- dense), papers never exceed the period's listed papers, and a share is 0 exactly when papers is.
select *
from {{ ref('topic_trends') }}
where
    share_of_papers < 0
    or share_of_papers > 1
    or papers > period_papers
    or (papers = 0) != (share_of_papers = 0)
