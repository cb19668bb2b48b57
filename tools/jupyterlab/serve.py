#!/usr/bin/python3
"""Serves the JupyterLab 3.6 frontend built by tools/jupyterlab/build.ts with
jupyter_server 1.x and jupyterlab_server 2.x (Debian bookworm:
python3-jupyter-server 1.23, python3-jupyterlab-server 2.16), the way
JupyterLab's examples/app does: a LabServerApp whose static files, settings
schemas, theme and page template come from the build folder.

    WORKBOOK_LAB_APP_DIR=.jupyterlab-app /usr/bin/python3 tools/jupyterlab/serve.py \
        --ServerApp.root_dir=lab --ServerApp.token=... --port=8888 --no-browser

Everything after the script name is jupyter_server's command line. The kernel
comes from JUPYTER_PATH (the project's tslab kernelspec), the config (the
output-stripping pre-save hook) from JUPYTER_CONFIG_PATH, as for any Jupyter.
"""
import json
import os
import sys

try:
    from jupyter_core.paths import jupyter_config_dir
    from jupyterlab_server import LabServerApp
except ImportError:
    sys.exit("jupyterlab_server is not installed: sudo apt-get install python3-jupyter-server python3-jupyterlab-server")

APP_DIR = os.path.abspath(os.environ.get("WORKBOOK_LAB_APP_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".jupyterlab-app")))
STAMP = os.path.join(APP_DIR, "build.json")
if not os.path.exists(STAMP):
    sys.exit(f"No JupyterLab frontend built in {APP_DIR}: npm run lab and npm run check:lab build it (tools/jupyterlab/build.ts)")
with open(STAMP, encoding="utf-8") as f:
    VERSION = json.load(f)["version"]


class WorkbookLab(LabServerApp):
    name = "workbook_lab"
    extension_url = "/lab"
    default_url = "/lab"
    app_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab"
    app_version = VERSION
    static_dir = os.path.join(APP_DIR, "static")
    templates_dir = os.path.join(APP_DIR, "templates")
    schemas_dir = os.path.join(APP_DIR, "schemas")
    themes_dir = os.path.join(APP_DIR, "themes")
    app_settings_dir = os.path.join(APP_DIR, "app-settings")
    # Where JupyterLab itself keeps them (so a user's settings and open tabs carry over), and the workspace
    # handler the frontend needs to restore its layout on a reload.
    user_settings_dir = os.environ.get("JUPYTERLAB_SETTINGS_DIR") or os.path.join(jupyter_config_dir(), "lab", "user-settings")
    workspaces_dir = os.environ.get("JUPYTERLAB_WORKSPACES_DIR") or os.path.join(jupyter_config_dir(), "lab", "workspaces")


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": WorkbookLab}]


if __name__ == "__main__":
    WorkbookLab.launch_instance()
