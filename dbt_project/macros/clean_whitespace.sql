{#- Collapse every run of whitespace (line breaks and hard wraps included) to one space, trim, '' -> null. -#}
{% macro clean_whitespace(expr) -%}
    nullif(trim(regexp_replace({{ expr }}, '[\s\x{00A0}\x{2000}-\x{200B}\x{3000}]+', ' ', 'g')), '')
{%- endmacro %}
