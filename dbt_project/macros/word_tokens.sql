{#-
  Lowercase text as space-separated alphanumeric words, padded with one space on each side,
  so that whole-word (phrase) containment is a plain substring test: contains(a, ' x y ').
-#}
{% macro word_tokens(expr) -%}
    ' ' || trim(regexp_replace(lower({{ expr }}), '[^\p{L}\p{N}]+', ' ', 'g')) || ' '
{%- endmacro %}
