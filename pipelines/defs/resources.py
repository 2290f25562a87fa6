"""Resources shared by the assets: the warehouse home and the dbt CLI."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from pipelines import warehouse
from pipelines.dbt_project import DBT_EXECUTABLE, DBT_PROJECT
from pipelines.settings import Home, home


class WarehouseResource(dg.ConfigurableResource):
    """The working warehouse. Connections are short-lived: never hold one across a dbt call."""

    home_dir: str

    @property
    def home(self) -> Home:
        return Home(Path(self.home_dir)).ensure()

    @contextmanager
    def connect(self, *, read_only: bool = False, limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.home.warehouse, read_only=read_only, limit=limit) as con:
            yield con


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without a dbt adapter in this process.

    Before each dbt call, dagster-dbt loads dbt's project, profile and every macro into the
    Dagster process to hand the invocation a dbt adapter, which only its ``fetch_row_counts``
    and ``fetch_column_metadata`` use. The steps count rows themselves once dbt has exited (an
    adapter connection in this process would hold DuckDB's lock, pipelines/defs/dbt_models.py),
    so the adapter was ~1.5 s of CPU per dbt call (three a run) and memory held for the run.
    """

    def _initialize_dbt_core_adapter(self, args):  # dagster-dbt's hook: its caller accepts None
        return None


def default_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(home_dir=str(home().root)),
        "dbt": DbtCli(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
    }
