-- One row per HF record (every file version), with normalised identifiers and text.
-- paper_id is the bare arXiv id; a record without a usable id falls back to a title id.
with

records as (

    select * from {{ ref('stg_hf_daily_papers__papers') }}

),

normalized as (

    select
        landing_path,
        source_file,
        listing_date,
        as_of,
        position,
        record_format,
        arxiv_id_raw,
        {{ normalize_arxiv_id('arxiv_id_raw') }} as arxiv_id,
        coalesce({{ clean_whitespace('title_raw') }}, {{ clean_whitespace('paper_title_raw') }}) as title,
        title_key,
        abstract,
        list_filter(
            list_transform(authors, lambda author: {{ clean_whitespace("struct_extract(author, 'name')") }}),
            lambda author_name: author_name is not null
        ) as author_names,
        len(authors) as author_count,
        paper_published_at,
        listing_published_at,
        submitted_on_daily_at,
        upvotes,
        comments,
        nullif(trim(submitted_by), '') as submitted_by,
        nullif(trim(organization), '') as organization,
        github_repo_raw,
        {{ normalize_github_repo('github_repo_raw') }} as github_repo,
        github_stars,
        nullif(trim(project_page), '') as project_page,
        ai_keywords,
        ai_summary,
        discussion_id

    from records

),

final as (

    select
        *,
        coalesce(
            arxiv_id,
            'title:' || substr(md5(coalesce(title_key, lower(title))), 1, 16)
        ) as paper_id

    from normalized

)

select * from final
