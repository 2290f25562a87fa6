{#- ISO-8601 text ("2025-06-25T17:59:42.000Z", or with an offset) -> naive TIMESTAMP in UTC; unparseable -> null. -#}
{% macro iso_to_utc_timestamp(expr) -%}
    timezone('UTC', try_cast({{ expr }} as timestamptz))
{%- endmacro %}
