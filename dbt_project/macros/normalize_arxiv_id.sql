{#-
  Bare arXiv id, the key that joins HF, arXiv listings and any other source. Strips, in order:
  surrounding blanks; a DataCite DOI prefix ('10.48550/arXiv.', also as a doi.org URL); an
  'arXiv:' prefix (any case, optional blank after the colon) or an arxiv.org/abs|pdf|html URL
  (http/https, www./export. hosts); a query string, fragment or trailing slashes; a '.pdf' suffix;
  a version suffix 'vN'.
  '2406.11230' <- 'arXiv:2406.11230v2', 'https://arxiv.org/pdf/2406.11230v1.pdf',
  'https://doi.org/10.48550/arXiv.2406.11230', 'arxiv.org/abs/2406.11230/?context=cs'.
  Old-style ids keep their case: 'hep-th/9901001v3' -> 'hep-th/9901001', 'math.CV/0101001'.
  Blank -> null. The value is not validated here: the source parsers quarantine non-ids.
-#}
{% macro normalize_arxiv_id(expr) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(
                        regexp_replace(
                            trim({{ expr }}),
                            '^(?:(?:https?://)?(?:dx\.)?doi\.org/)?10\.48550/arxiv\.', '', 'i'
                        ),
                        '^(?:arxiv:\s*|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)', '', 'i'
                    ),
                    '[?#].*$|/+$', ''
                ),
                '\.pdf$', '', 'i'
            ),
            'v[0-9]+$', ''
        ),
        ''
    )
{%- endmacro %}
