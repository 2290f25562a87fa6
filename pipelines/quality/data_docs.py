"""GX data docs for the suites validated in a pipeline run, at ``$PAPERTRENDS_HOME/docs/gx/``.

GX 1.x contexts keep validation results in memory, and the suite checks of one run may run in
different processes (Dagster's multiprocess executor), so each check writes its result as GX
JSON to ``$PAPERTRENDS_HOME/gx/validations/<run_id>/<suite>.json``. The site is built from
those files by a fresh ephemeral context whose data docs store is ``docs/gx``: once per run by
``docs/gx_data_docs`` after publishing (every page, so it shows that run only), and at once by
a check that fails (the run stops there and never publishes; its site shows why). Rendering
one page at a time cost every check its own GX context and template compilation (8 s of a
small run); a whole site at once compiles each template once. A file lock serialises writers.

Building a site needs no network; viewing it styled does (GX's pages link Bootstrap and
Font Awesome from CDNs), but the content is plain HTML either way.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.quality.gx_suites import SuiteOutcome, load_suite
from pipelines.quality.suites import suite_names

SITE_NAME = "papertrends"
_MARKER = ".papertrends_run_id"  # which run the site shows


def validations_dir(home_root: Path, run_id: str) -> Path:
    return Path(home_root) / "gx" / "validations" / run_id


def docs_dir(home_root: Path) -> Path:
    return Path(home_root) / "docs" / "gx"


def _batch_identifier(label: str) -> str:
    # One path component of the site: keep it readable but filesystem-safe.
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label)


def save_result(home_root: Path, run_id: str, outcome: SuiteOutcome) -> Path:
    """Write the outcome's GX validation result for ``run_id`` (atomically: readers never see half a file)."""
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema

    if outcome.result is None:
        raise ValueError(f"{outcome.suite_name}: outcome carries no GX result")
    folder = validations_dir(home_root, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "suite_name": outcome.suite_name,
        "batch_identifier": _batch_identifier(outcome.table),
        "validated_at": dt.datetime.now(dt.UTC).isoformat(),
        "result": json.loads(expectationSuiteValidationResultSchema.dumps(outcome.result.to_json_dict())),
    }
    path = folder / f"{outcome.suite_name}.json"
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


@contextmanager
def _locked(home_root: Path) -> Iterator[None]:
    lock = Path(home_root) / "docs" / ".gx-docs.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_site(home_root: Path, run_id: str, *, suite: str | None = None) -> dict[str, Path]:
    """Update the site with the results of ``run_id``; returns the index and validation pages.

    suite: the suite just validated (only its page and the index are rendered), or None to
    render everything. A site showing another run is always rebuilt from scratch.
    """
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    site = docs_dir(home_root)
    with _locked(home_root):
        marker = site / _MARKER
        fresh = suite is None or not marker.exists() or marker.read_text().strip() != run_id
        context = gx.get_context(mode="ephemeral")
        context.add_data_docs_site(
            SITE_NAME,
            {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "show_how_to_buttons": False,
            },
        )
        for name in suite_names():  # every suite gets its expectations page
            context.suites.add(load_suite(name))
        keys: dict[str, ValidationResultIdentifier] = {}
        for path in sorted(validations_dir(home_root, run_id).glob("*.json")):
            payload = json.loads(path.read_text(encoding="utf-8"))
            key = _result_key(run_id, payload)
            context.validation_results_store.set(key, expectationSuiteValidationResultSchema.load(payload["result"]))
            keys[payload["suite_name"]] = key

        if fresh:
            shutil.rmtree(site, ignore_errors=True)
            context.build_data_docs(site_names=[SITE_NAME])
        elif suite in keys:
            context.build_data_docs(
                site_names=[SITE_NAME],
                resource_identifiers=[keys[suite], ExpectationSuiteIdentifier(name=suite)],
            )
        site.mkdir(parents=True, exist_ok=True)
        marker.write_text(run_id + "\n")

        pages = {"index": site / "index.html"}
        pages.update({name: _page(site, key) for name, key in keys.items()})
        return pages


def _result_key(run_id: str, payload: dict):
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=payload["suite_name"]),
        run_id=RunIdentifier(run_name=run_id, run_time=dt.datetime.fromisoformat(payload["validated_at"])),
        batch_identifier=payload["batch_identifier"],
    )


def _page(site: Path, key) -> Path:
    *folders, leaf = key.to_tuple()  # the store's own layout: suite/run_name/run_time/batch.html
    return site.joinpath("validations", *folders, f"{leaf}.html")


def validation_page(home_root: Path, run_id: str, suite: str) -> Path:
    """Where the site shows a saved result of ``run_id`` (once a build of the run has rendered it)."""
    payload = json.loads((validations_dir(home_root, run_id) / f"{suite}.json").read_text(encoding="utf-8"))
    return _page(docs_dir(home_root), _result_key(run_id, payload))


def record_validation(home_root: Path, run_id: str, outcome: SuiteOutcome) -> dict[str, Path]:
    """Save one suite's result for the run and update the site now: the index and that suite's page."""
    save_result(home_root, run_id, outcome)
    pages = build_site(home_root, run_id, suite=outcome.suite_name)
    return {"index": pages["index"], "page": pages[outcome.suite_name]}
