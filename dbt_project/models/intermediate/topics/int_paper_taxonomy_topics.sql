-- Which papers carry which taxonomy topics. A topic's pattern (a regular expression) is matched
-- against the paper's lowercased text: its title ('title'), else its HF ai_keywords ('ai_keywords'),
-- else its abstract at least var('taxonomy_min_abstract_matches') times ('abstract'). A paper
-- that matches a topic also carries every ancestor of it ('subtopic') unless it matches that
-- ancestor directly. The patterns are inlined as constants (macro taxonomy_patterns).
-- Incremental (macros/incremental.sql): a paper's matches depend on its own text only (and the
-- taxonomy seed, whose change makes a full rebuild), so a run matches the changed papers: the
-- regular expressions, 68 per paper, are the costliest part of the topic models.
{{ config(
    materialized='incremental',
    incremental_strategy='replace',
    replace_scope='papers',
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_papers_resolved') }}
{%- set patterns = taxonomy_patterns(ref('int_taxonomy_topics')) %}
with

papers as (

    select * from {{ ref('dim_papers') }}
    {% if is_incremental() %}
        where paper_id in ({{ changed_papers() }})
    {% endif %}

),

taxonomy as (

    select * from {{ ref('int_taxonomy_topics') }}

),

-- read by the patterns' pass (none when sqlfluff renders the model)
texts as not materialized (  -- noqa: ST03

    select
        paper_id,
        lower(coalesce(title, '')) as title_text,
        lower(coalesce(array_to_string(ai_keywords, ' ; '), '')) as keywords_text,
        lower(coalesce(abstract, '')) as abstract_text

    from papers

),

-- Every pattern in one pass over the texts, one (topic, match) struct each: a union of one
-- select per pattern read the papers once per pattern, and DuckDB kept them for that in a
-- materialized CTE, which spilled past memory_limit at 1M papers (280 s; bench/RESULTS.md).
-- The pass is split into var('taxonomy_match_buckets') buckets of papers by hash, unioned, so that
-- DuckDB runs them in parallel: it parallelizes a scan by row groups of 122,880 rows, so 100k
-- papers in one pass ran on one core. texts is not materialized: each bucket reads its papers.
candidates as (

    {% if patterns %}
        {% for bucket in range(var('taxonomy_match_buckets')) %}
            select
                texts.paper_id,
                unnest([
                    {%- for topic_id, pattern in patterns %}
                        {%- set literal = "'" ~ pattern | replace("'", "''") ~ "'" %}
                        struct_pack(
                            topic_id := '{{ topic_id }}',
                            match_source := case
                                when regexp_matches(texts.title_text, {{ literal }}) then 'title'
                                when regexp_matches(texts.keywords_text, {{ literal }}) then 'ai_keywords'
                                when
                                    len(regexp_extract_all(texts.abstract_text, {{ literal }}))
                                    >= {{ var('taxonomy_min_abstract_matches') }}
                                    then 'abstract'
                            end
                        ){{ "," if not loop.last }}
                    {%- endfor %}
                ], recursive := true)
            from texts
            where hash(texts.paper_id) % {{ var('taxonomy_match_buckets') }} = {{ bucket }}
            {{ "union all" if not loop.last }}
        {% endfor %}
    {% else %}
        select
            cast(null as varchar) as paper_id,
            cast(null as varchar) as topic_id,
            cast(null as varchar) as match_source
        where false
    {% endif %}

),

direct_matches as (

    select
        candidates.paper_id,
        candidates.topic_id,
        candidates.match_source,
        taxonomy.ancestor_ids

    from candidates
    inner join taxonomy
        on candidates.topic_id = taxonomy.topic_id
    where candidates.match_source is not null

),

inherited as (

    select distinct
        direct_matches.paper_id,
        unnest(direct_matches.ancestor_ids) as topic_id

    from direct_matches

),

final as (

    select
        paper_id,
        topic_id,
        match_source

    from direct_matches

    union all

    select
        inherited.paper_id,
        inherited.topic_id,
        'subtopic' as match_source

    from inherited
    left join direct_matches
        on
            inherited.paper_id = direct_matches.paper_id
            and inherited.topic_id = direct_matches.topic_id
    where direct_matches.paper_id is null

)

select * from final
