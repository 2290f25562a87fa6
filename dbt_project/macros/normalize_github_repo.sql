{#-
  GitHub repository as lowercase 'owner/repo'. Accepts full URLs with or without scheme/www,
  trailing slashes, '/tree/...' or '/blob/...' paths, query strings, a '.git' suffix, and bare
  'owner/repo'. Org-only URLs (https://github.com/org), other hosts and blanks -> null.
-#}
{% macro normalize_github_repo(expr) -%}
    {%- set url_re = "'^(?:https?://)?(?:www\\.)?github\\.com/([^/?#\\s]+)/([^/?#\\s]+)'" -%}
    {%- set bare_re = "'^([a-z0-9][a-z0-9_.-]*)/([a-z0-9_.-]+)/?$'" -%}
    case
        when regexp_matches(lower(trim({{ expr }})), {{ url_re }})
            then regexp_extract(lower(trim({{ expr }})), {{ url_re }}, 1)
            || '/'
            || regexp_replace(regexp_extract(lower(trim({{ expr }})), {{ url_re }}, 2), '\.git$', '')
        when regexp_matches(lower(trim({{ expr }})), {{ bare_re }})
            then regexp_extract(lower(trim({{ expr }})), {{ bare_re }}, 1)
            || '/'
            || regexp_replace(regexp_extract(lower(trim({{ expr }})), {{ bare_re }}, 2), '\.git$', '')
    end
{%- endmacro %}
