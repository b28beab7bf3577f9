"""Piccolo configuration for its migration machinery; the engine follows the LEOKOP_* settings."""

from piccolo.conf.apps import AppRegistry

from leokop.db import create_engine
from leokop.settings import load_settings

DB = create_engine(load_settings())

APP_REGISTRY = AppRegistry(apps=["leokop.piccolo_app"])
