{#
  The full build of int_topic_keyword_counts: every (topic, keyword) pair of the history counted
  in passes, each over a run of topics whose paper_topics x paper_terms join has at most
  var('topic_keyword_pass_rows') rows, on integer keys, into schema topic_keyword_passes (the
  model reads the counts back with their names; its post-hook drops the schema).

  Why passes: the join is about 17 topics x 90 keywords a paper (1.7 B rows at 1M papers), and
  one aggregate over it holds every (topic, keyword) group at once. Past its memory_limit DuckDB
  then writes nearly every input row to disk instead of adding it to a group (82 s and 5.4 GB of
  spill at 1.7 B rows and 4 M groups; in 9 passes of 200 M rows 19 s, no spill, 1.2 GB RSS; in 34
  of 50 M 24 s: bench/RESULTS.md).
  A pass only has its own topics' groups, which fit in memory.

  Topics are numbered by (kind, topic_id) and each is weighed by its join rows (the keywords of
  its papers); a topic's pass is its cumulative weight before it over the budget, so passes are
  contiguous runs of topics, numbered without gaps, each over the budget by at most its last topic.
#}
{% macro count_topic_keywords_in_passes(paper_topics, terms) -%}
    {%- if execute and not is_incremental() -%}
        {%- set pass_rows = var('topic_keyword_pass_rows') | int -%}
        {%- set statements = [
            "create schema if not exists topic_keyword_passes",
            "create or replace table topic_keyword_passes.papers as
            select paper_id, cast(row_number() over (order by paper_id) as integer) as paper_key
            from (select distinct paper_id from " ~ paper_topics ~ ")",
            "create or replace table topic_keyword_passes.keywords as
            select keyword, cast(row_number() over (order by keyword) as integer) as keyword_key
            from (select distinct keyword from " ~ terms ~ ")",
            "create or replace table topic_keyword_passes.terms as
            select papers.paper_key, keywords.keyword_key
            from " ~ terms ~ " as terms
            inner join topic_keyword_passes.papers as papers on terms.paper_id = papers.paper_id
            inner join topic_keyword_passes.keywords as keywords on terms.keyword = keywords.keyword",
            "create or replace table topic_keyword_passes.topics as
            with numbered as (
                select kind, topic_id, cast(row_number() over (order by kind, topic_id) as integer) as topic_key
                from (select distinct kind, topic_id from " ~ paper_topics ~ ")
            ),
            paper_weights as (
                select paper_key, count(*) as keywords from topic_keyword_passes.terms group by paper_key
            ),
            topic_weights as (
                select paper_topics.kind, paper_topics.topic_id, sum(paper_weights.keywords) as join_rows
                from " ~ paper_topics ~ " as paper_topics
                inner join topic_keyword_passes.papers as papers on paper_topics.paper_id = papers.paper_id
                inner join paper_weights on papers.paper_key = paper_weights.paper_key
                group by paper_topics.kind, paper_topics.topic_id
            ),
            weighed as (
                select numbered.*, coalesce(topic_weights.join_rows, 0) as join_rows
                from numbered
                left join topic_weights
                    on numbered.kind = topic_weights.kind and numbered.topic_id = topic_weights.topic_id
            ),
            placed as (
                select
                    kind, topic_id, topic_key,
                    floor(
                        (sum(join_rows) over (order by topic_key rows unbounded preceding) - join_rows)
                        / " ~ pass_rows ~ "
                    ) as budget_index
                from weighed
            )
            select kind, topic_id, topic_key, cast(dense_rank() over (order by budget_index) - 1 as integer) as pass
            from placed",
            "create or replace table topic_keyword_passes.memberships as
            select papers.paper_key, topics.topic_key, topics.pass
            from " ~ paper_topics ~ " as paper_topics
            inner join topic_keyword_passes.papers as papers on paper_topics.paper_id = papers.paper_id
            inner join topic_keyword_passes.topics as topics
                on paper_topics.kind = topics.kind and paper_topics.topic_id = topics.topic_id",
            "create or replace table topic_keyword_passes.counts
            (topic_key integer, keyword_key integer, keyword_papers bigint)",
        ] -%}
        {%- for statement in statements -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        {%- set passes = run_query(
            "select coalesce(max(pass) + 1, 0) from topic_keyword_passes.topics"
        ).columns[0].values()[0] | int -%}
        {%- for pass in range(passes) -%}
            {%- do run_query(
                "insert into topic_keyword_passes.counts
                select memberships.topic_key, terms.keyword_key, count(*)
                from topic_keyword_passes.memberships as memberships
                inner join topic_keyword_passes.terms as terms on memberships.paper_key = terms.paper_key
                where memberships.pass = " ~ pass ~ "
                group by memberships.topic_key, terms.keyword_key"
            ) -%}
        {%- endfor -%}
        {{ log("int_topic_keyword_counts: counted in " ~ passes ~ " pass(es) of at most "
            ~ pass_rows ~ " joined rows", info=True) }}
    {%- endif -%}
    select 1
{%- endmacro %}
