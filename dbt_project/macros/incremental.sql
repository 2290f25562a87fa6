{#-
  Incremental builds (issue 6: a day's run costs what the day changed, not the history).

  The Python side of each dbt step (pipelines/defs/dbt_models.py, pipelines/dbt_project.py)
  writes build_state.changed_days before dbt runs: the listing days whose landed files differ
  from those the step's last successful build saw (every day on a full refresh). An
  incremental model is materialized='incremental' with incremental_strategy='replace' and
  config replace_scope: on an incremental run it deletes the rows of its scope (below) and
  inserts its batch, which recomputes exactly those rows from the current upstream tables, so
  the table equals a full rebuild. Doing a scope twice (a retried run) gives the same rows.

  Scopes (a predicate on the model's own rows):
    days              rows of a changed listing day (column listing_date)
    days_and_seed     rows of a changed day, and every seed-page row (seed rows are re-resolved
                      against every paper id on each run: int_papers_resolved)
    papers            rows of a changed paper (column paper_id): changed_papers()
    arxiv_papers      the same, keyed by arxiv_id
    topic_papers      rows of a changed paper for the topic step: topic_changed_papers()
    trending_dates    trending rankings whose window a change reaches (column as_of_date)

  These relations are read at run time by name, outside dbt's DAG: build_state tables are the
  step's bookkeeping, not models.
-#}

{% macro changed_days_relation() -%}
    build_state.changed_days
{%- endmacro %}

{#- The changed days as a subquery (for NOT IN: an empty list of constants would be a null). -#}
{% macro changed_days_query() -%}
    select listing_date from {{ changed_days_relation() }}
{%- endmacro %}

{#- The changed days as SQL constants, read when the model runs (a constant filter is pushed
    through views and window partitions into table scans, which a subquery is not). -#}
{% macro changed_days_list() -%}
    {%- if not execute -%}
        {{ return('cast(null as date)') }}
    {%- endif -%}
    {%- set query = "select distinct listing_date from " ~ changed_days_relation() ~ " order by 1" -%}
    {{ return(date_constants(run_query(query).rows)) }}
{%- endmacro %}

{#- Rows of one date column as a list of SQL date constants (a null when there are none). -#}
{% macro date_constants(rows) -%}
    {%- set dates = [] -%}
    {%- for row in rows -%}
        {%- do dates.append("date '" ~ row[0] ~ "'") -%}
    {%- endfor -%}
    {{ return(dates | join(', ') if dates else 'cast(null as date)') }}
{%- endmacro %}

{#-
  Papers whose rows a changed day can change: those with a snapshot on a changed day, and
  those a seed-page row is or could be attached to. A seed row takes the smallest paper id
  among keyed rows with its title_key, else its own title id, and a new keyed row anywhere can
  move it; so every paper id seen with a seed row's title_key, and every seed row's own title
  id, is in (a paper it leaves must lose it, or vanish).
-#}
{% macro changed_papers(resolved=none) -%}
    {#- resolved: int_papers_resolved, by name where ref() cannot be used (tests). -#}
    {%- set resolved = resolved or ref('int_papers_resolved') -%}
    select resolved.paper_id
    from {{ resolved }} as resolved
    where resolved.listing_date in ({{ changed_days_list() }})
    union
    select resolved.paper_id
    from {{ resolved }} as resolved
    where resolved.title_key in (
        select seed.title_key from {{ resolved }} as seed
        where seed.source = 'seed_page' and seed.title_key is not null
    )
    union
    select 'title:' || substr(md5(coalesce(seed.title_key, lower(seed.title))), 1, 16)
    from {{ resolved }} as seed
    where seed.source = 'seed_page'
{%- endmacro %}

{#- The delete predicate of a scope (see the top of this file). -#}
{% macro replace_predicate(scope) -%}
    {%- if scope == 'days' -%}
        listing_date in ({{ changed_days_list() }})
    {%- elif scope == 'days_and_seed' -%}
        (listing_date in ({{ changed_days_list() }}) or source = 'seed_page')
    {%- elif scope == 'papers' -%}
        paper_id in ({{ changed_papers() }})
    {%- elif scope == 'arxiv_papers' -%}
        arxiv_id in ({{ changed_papers() }})
    {%- elif scope == 'topic_papers' -%}
        paper_id in (select scope.paper_id from {{ topic_scope_relation() }} as scope)
    {%- elif scope == 'trending_dates' -%}
        as_of_date in ({{ trending_dates_list() }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown replace_scope '" ~ scope ~ "' in " ~ this) }}
    {%- endif -%}
{%- endmacro %}

{#-
  incremental_strategy='replace': delete the rows of the model's replace_scope, insert the batch.
  Two options: replace_scope='batch_keys' deletes the rows whose replace_keys the batch holds
  (the batch carries the new values of those keys), and insert_where keeps only the batch rows
  that hold it; before_image=<build_state table prefix> first keeps the model's rows of the scope
  (paper_id, topic_id, kind), for papers that have none kept yet (see int_topic_keyword_counts).
-#}
{% macro get_incremental_replace_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set scope = config.get('replace_scope') -%}
    {%- set before_image = config.get('before_image') -%}
    {%- if not scope -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace' needs a replace_scope config in " ~ this) }}
    {%- endif -%}
    {%- if scope == 'batch_keys' -%}
        {%- set keys = config.get('replace_keys') | join(', ') -%}
        {%- set predicate = '(' ~ keys ~ ') in (select ' ~ keys ~ ' from ' ~ batch ~ ')' -%}
    {%- else -%}
        {%- set predicate = replace_predicate(scope) -%}
    {%- endif -%}
    {%- if before_image -%}
        create or replace temporary table before_image_papers as
        select distinct paper_id from {{ target }} where {{ predicate }}
        and paper_id not in (select kept.paper_id from {{ before_image }}_papers as kept);
        insert into {{ before_image }}
        select paper_id, topic_id, kind from {{ target }}
        where paper_id in (select before_image_papers.paper_id from before_image_papers);
        insert into {{ before_image }}_papers
        select distinct scoped.paper_id from ({{ replace_scope_papers(scope) }}) as scoped
        where scoped.paper_id not in (select kept.paper_id from {{ before_image }}_papers as kept);
        drop table before_image_papers;
    {%- endif %}
    delete from {{ target }} where {{ predicate }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ batch }}
    {%- if config.get('insert_where') %} where {{ config.get('insert_where') }}{% endif %}
{%- endmacro %}

{#- The papers of a paper scope (a before-image marks every one, with or without rows). -#}
{% macro replace_scope_papers(scope) -%}
    {%- if scope == 'topic_papers' -%}
        select scope.paper_id from {{ topic_scope_relation() }} as scope
    {%- elif scope == 'papers' -%}
        {{ changed_papers() }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("before_image needs a paper scope, not '" ~ scope ~ "', in " ~ this) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Trending rankings (as_of_date) that a change reaches: a ranking of as-of date d in window
  day, week or month reads the lists of the days from the window's start to d, and every
  candidate's snapshots, first listing, category and attribution. So d is recomputed when a
  changed day, or a listing day of a changed paper, lies in [min(week start, month start), d].
  Constants, read when the model runs (pushed through int_trending_papers_scored's windows).
-#}
{% macro trending_dates_list() -%}
    {%- if not execute -%}
        {{ return('cast(null as date)') }}
    {%- endif -%}
    {%- set query -%}
        with touched_days as (
            select listing_date from {{ changed_days_relation() }}
            union
            select listing_date from {{ ref('int_daily_listings_latest') }}
            where paper_id in ({{ changed_papers() }})
        ),
        as_of_dates as (
            select distinct listing_date as as_of_date from {{ ref('int_daily_listings_latest') }}
        )
        select as_of_dates.as_of_date
        from as_of_dates
        where exists (
            select 1 from touched_days
            where
                touched_days.listing_date <= as_of_dates.as_of_date
                and touched_days.listing_date >= least(
                    date_trunc('week', as_of_dates.as_of_date), date_trunc('month', as_of_dates.as_of_date)
                )
        )
        order by 1
    {%- endset -%}
    {{ return(date_constants(run_query(query).rows)) }}
{%- endmacro %}

{#-
  Papers whose paper_topics rows a run can change (paper_topics' scope topic_papers): the
  changed papers, the papers the learned step re-placed (build_state.learned_changes, cleared
  once the topic step has built), and the papers a change of the keyword-topic vocabulary
  reaches: a label that left it (the papers that had its topic) or entered it (the papers whose
  ai_keywords are the label or its plural, and those whose title contains it). Labels of other
  papers cannot move otherwise: a label's topic id and tokens are functions of the label. A
  superset is harmless (a paper recomputed gets the rows it has), a missing paper is not.
-#}
{% macro topic_changed_papers() -%}
    {{ changed_papers() }}
    union
    select learned_changes.paper_id from build_state.learned_changes as learned_changes
    {%- if is_incremental() %}
        union
        select previous.paper_id
        from {{ this }} as previous
        where
            previous.kind = 'keyword'
            and previous.topic_id not in (
                select vocabulary.topic_id from {{ ref('int_topic_vocabulary') }} as vocabulary
            )
        union
        select carriers.paper_id
        from {{ ref('int_paper_ai_keywords') }} as carriers
        where carriers.keyword in (
            select entered.label from ({{ entered_labels() }}) as entered
            union all
            select entered.label || 's' from ({{ entered_labels() }}) as entered
        )
        union
        select titled.paper_id
        from {{ ref('int_paper_title_tokens') }} as titled
        inner join ({{ entered_labels() }}) as entered
            on
                contains(titled.title_tokens, ' ' || entered.label_tokens || ' ')
                or contains(titled.title_tokens, ' ' || entered.label_tokens || 's ')
    {%- endif %}
{%- endmacro %}

{#- Keyword-topic labels in the vocabulary that paper_topics has no row of yet. -#}
{% macro entered_labels() -%}
    select vocabulary.label, vocabulary.label_tokens
    from {{ ref('int_topic_vocabulary') }} as vocabulary
    where vocabulary.topic_id not in (
        select distinct previous.topic_id from {{ this }} as previous where previous.kind = 'keyword'
    )
{%- endmacro %}

{% macro topic_scope_relation() -%}
    build_state.paper_topics_scope
{%- endmacro %}

{#- paper_topics' pre-hook: its scope (topic_changed_papers), worked out once per run. -#}
{% macro materialize_topic_scope() -%}
    {%- if is_incremental() -%}
        create or replace table {{ topic_scope_relation() }} as
        select distinct scoped.paper_id from ({{ topic_changed_papers() }}) as scoped
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
