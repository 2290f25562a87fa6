{#-
  DuckDB's memory limit for one dbt step (on-run-start, dbt_project.yml).

  dbt's DuckDB opens at the profile's limit, which is part of dbt's parse state: a step started
  with another one would parse the whole project again. A step that should run within less
  (pipelines/defs/dbt_models.py, the topic step) names it in PAPERTRENDS_DBT_STEP_MEMORY_LIMIT,
  read here at run time only, so it changes no parse state. The profile passes its limit as a
  config option, applied once when the database opens: as a setting, dbt-duckdb would apply it
  again on every cursor and undo this SET.

  The limit DuckDB then holds is logged (dbt.log of the step's target folder), so a test sees what
  dbt really ran at.
-#}
{% macro step_memory_limit() -%}
    {%- if execute -%}
        {%- set step_limit = env_var('PAPERTRENDS_DBT_STEP_MEMORY_LIMIT', '') -%}
        {%- if step_limit -%}
            {%- do run_query("SET memory_limit = '" ~ step_limit ~ "'") -%}
        {%- endif -%}
        {%- set held = run_query("SELECT current_setting('memory_limit')").columns[0].values()[0] -%}
        {%- do log("DuckDB memory limit in dbt: " ~ held, info=True) -%}
    {%- endif -%}
    SELECT 1
{%- endmacro %}
