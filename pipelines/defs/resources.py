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


def default_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(home_dir=str(home().root)),
        "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
    }
