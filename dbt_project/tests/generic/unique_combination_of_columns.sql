{#-
  Fails with one row per combination of the given columns that occurs more than once.

  Grouped twice: first by a 64-bit hash of the combination (8 bytes a key), then by the real
  columns of the few rows whose hash repeats (a collision is no duplicate). Grouping 92M
  (paper_id, keyword) strings at once ran out of a 1 GB memory_limit at 1M papers; the hash
  pass took 9.6 s there. The rows returned are the same either way (NULLs included: hash()
  of a NULL is a value like any other, as a GROUP BY key is).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns = combination_of_columns | join(', ') %}

with repeated_hashes as (
    select hash({{ columns }}) as key_hash
    from {{ model }}
    group by key_hash
    having count(*) > 1
)

select
    {{ columns }},
    count(*) as occurrences

from {{ model }}
where hash({{ columns }}) in (select key_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1

{% endtest %}
