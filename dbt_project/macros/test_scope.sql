{#-
  Tests on incremental runs check the rows the run could have changed, not the whole history.

  A model (or a view over the raw tables) names its scope in config meta.test_scope, with the
  placeholders below; dbt's get_where_subquery, which wraps the model of every generic test,
  filters the model by it. Explicit test `where` configs win. A full refresh (every first build
  and every forced or code-changed one) tests every row.

    __changed_days__          the listing days of this run (constants: build_state.changed_days)
    __changed_papers__        changed_papers() (macros/incremental.sql)
    __learned_changes__       papers the learned step re-placed since the topic step last built
    __full_refresh_only__     no row: the test runs on full refreshes only (a test of a view or a
                              large table whose rows cannot be scoped, and which its model's
                              construction guarantees between full refreshes)

  A scope may be a superset, never a subset, of the rows a run wrote: uniqueness across the whole
  table holds because the keys of a scope (a day's files, a paper's rows) never meet another's.
-#}

{#- True when this dbt invocation rebuilds from scratch (--full-refresh). -#}
{% macro full_refresh_run() -%}
    {{ return(flags.FULL_REFRESH if flags is defined else false) }}
{%- endmacro %}

{% macro test_scope_sql(scope) -%}
    {%- if not execute or full_refresh_run() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set scope = scope | replace('__changed_days__', changed_days_list()) -%}
    {%- if '__changed_papers__' in scope -%}
        {%- set scope = scope | replace('__changed_papers__', changed_papers('intermediate.int_papers_resolved')) -%}
    {%- endif -%}
    {%- set scope = scope | replace('__learned_changes__', 'select paper_id from build_state.learned_changes') -%}
    {%- set scope = scope | replace('__full_refresh_only__', 'false') -%}
    {{ return(scope) }}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {#- a namespace: a plain set inside the loop would not outlive it -#}
    {%- set found = namespace(where=config.get('where')) -%}
    {%- if found.where and '__' in found.where -%}
        {%- set found.where = test_scope_sql(found.where) -%}
    {%- endif -%}
    {%- if not found.where and execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- set same_relation = node.alias == relation.identifier and node.schema == relation.schema -%}
            {%- if node.resource_type == 'model' and same_relation -%}
                {%- set found.where = test_scope_sql(node.config.meta.get('test_scope', '')) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if found.where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ found.where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
