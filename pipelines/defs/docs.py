"""Documentation assets: the dbt docs site of the published warehouse.

``docs/dbt_docs`` runs ``dbt docs generate --static`` after ``published/papertrends``:
by then no step writes the warehouse and no Python connection is open (DuckDB allows
one writer process, and dbt-duckdb opens the file read-write to build the catalog).
dbt writes into the target folder ``$PAPERTRENDS_HOME/dbt/target/docs`` (with its
compiled SQL and partial-parse state, kept from run to run); the site itself -- ``index.html``,
``static_index.html`` (one self-contained file: opens from disk without a web server),
``catalog.json`` and ``manifest.json`` -- is then copied to
``$PAPERTRENDS_HOME/docs/dbt/``, each file replaced atomically.

``docs/gx_data_docs`` renders the GX data docs (``$PAPERTRENDS_HOME/docs/gx/``) of the
run's suite checks, all pages at once, from the results each check saved. A check that fails
renders them itself (pipelines/defs/quality.py): that run never publishes, and its site still
documents why.
"""

import json
import os
import shutil
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs.dbt_models import start_dbt
from pipelines.defs.publishing import PUBLISHED
from pipelines.defs.resources import WarehouseResource

DBT_DOCS = dg.AssetKey(["docs", "dbt_docs"])
GX_DATA_DOCS = dg.AssetKey(["docs", "gx_data_docs"])
DBT_DOCS_FILES = ("index.html", "static_index.html", "catalog.json", "manifest.json")
# The site lists every node; compiling the ~250 data and unit tests only added their rendered SQL
# to it, and was a third of the step (6 s on the sample). The catalog covers the same relations.
DOCS_GENERATE = ["docs", "generate", "--static", "--exclude", "resource_type:test resource_type:unit_test"]


def dbt_docs_dir(home_root: Path) -> Path:
    return Path(home_root) / "docs" / "dbt"


def copy_site(target: Path, site: Path) -> list[Path]:
    """Copy the docs files from a dbt target folder into ``site``, each replaced atomically."""
    site.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in DBT_DOCS_FILES:
        tmp = site / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(target / name, tmp)
        os.replace(tmp, site / name)
        copied.append(site / name)
    return copied


@dg.asset(
    key=DBT_DOCS,
    group_name="docs",
    deps=[PUBLISHED],
    kinds={"dbt"},
    description=(
        "dbt docs site (dbt docs generate --static) of the published warehouse at $PAPERTRENDS_HOME/docs/dbt/: "
        "index.html, static_index.html, catalog.json, manifest.json."
    ),
)
def dbt_docs(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    home = warehouse.home
    # dbt's profile reads PAPERTRENDS_HOME from the environment of its subprocess.
    os.environ["PAPERTRENDS_HOME"] = str(home.root)
    # One folder for every run, as the build steps have: dbt's partial parsing then skips the
    # parse of an unchanged project (3 s of the step's 9 s on the sample).
    target = home.root / "dbt" / "target" / "docs"
    invocation = start_dbt(dbt, DOCS_GENERATE, target, raise_on_error=True)
    try:
        invocation.wait()
    finally:
        # As in the build steps: the event stream can end before dbt exits and lets go of DuckDB.
        invocation.process.wait()
    site = dbt_docs_dir(home.root)
    copy_site(target, site)

    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    marts = sorted(
        node["metadata"]["name"] for node in catalog["nodes"].values() if node["metadata"].get("schema") == "marts"
    )
    context.log.info(f"dbt docs written to {site}")
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(site / "index.html")),
            "static_index": dg.MetadataValue.path(str(site / "static_index.html")),
            "catalog_nodes": dg.MetadataValue.int(len(catalog["nodes"])),
            "marts": dg.MetadataValue.json(marts),
        }
    )


@dg.asset(
    key=GX_DATA_DOCS,
    group_name="docs",
    deps=[PUBLISHED],
    kinds={"great_expectations"},
    description=(
        "Great Expectations data docs of the run's suite checks at $PAPERTRENDS_HOME/docs/gx/: "
        "each suite's expectations and this run's validation result."
    ),
)
def gx_data_docs(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.quality.data_docs import build_site  # Great Expectations loads only here

    pages = build_site(warehouse.home.root, context.run_id)
    validated = sorted(name for name in pages if name != "index")
    context.log.info(f"GX data docs of {len(validated)} suite(s) written to {pages['index'].parent}")
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(pages["index"])),
            "suites_validated": dg.MetadataValue.json(validated),
        }
    )


assets = [dbt_docs, gx_data_docs]
