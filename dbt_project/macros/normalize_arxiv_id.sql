{#-
  Bare arXiv id: strips an "arXiv:" prefix, arxiv.org/abs|pdf URLs, a ".pdf" suffix and a version suffix.
  '2406.11230' <- 'arXiv:2406.11230v2', 'https://arxiv.org/pdf/2406.11230v1.pdf'; old-style ids
  ('hep-th/9901001v3' -> 'hep-th/9901001') keep their case. Blank -> null.
-#}
{% macro normalize_arxiv_id(expr) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    trim({{ expr }}),
                    '^(arxiv:|(https?://)?(www\.|export\.)?arxiv\.org/(abs|pdf)/)', '', 'i'
                ),
                '\.pdf$', '', 'i'
            ),
            'v[0-9]+$', ''
        ),
        ''
    )
{%- endmacro %}
