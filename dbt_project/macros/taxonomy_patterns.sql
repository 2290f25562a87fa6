{#-
  The taxonomy's (topic_id, match_pattern) rows, read when the model runs, so that each pattern
  becomes a constant in the SQL: DuckDB compiles a constant regular expression once, but a
  pattern taken from a column once per row (about 100x slower on a few thousand papers).
  Empty at parse time (and for sqlfluff).
-#}
{% macro taxonomy_patterns(relation) -%}
    {%- if execute -%}
        {{ return(run_query("select topic_id, match_pattern from " ~ relation ~ " order by topic_id").rows) }}
    {%- else -%}
        {{ return([]) }}
    {%- endif -%}
{%- endmacro %}
