"""Piccolo app registration: one app, "leokop", whose migrations live in leokop/migrations/."""

import os

from piccolo.conf.apps import AppConfig

from leokop.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="leokop",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
