# A Jupyter pre-save hook that keeps the committed notebooks clean: a notebook
# saved inside the project's notebooks/ folder is written without outputs,
# execution counts, run timestamps or widget state (what
# test/tools/notebooks.test.ts refuses). npm run lab puts this folder on
# JUPYTER_CONFIG_PATH, so it joins your own Jupyter config without replacing
# it; with your own Jupyter: JUPYTER_CONFIG_PATH=$PWD/tools/notebook/jupyter-config.
# Notebooks anywhere else (lab/, your copies) are saved as they are.
import os

_COMMITTED = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "notebooks"))


def strip_committed_outputs(model=None, path="", contents_manager=None, **kwargs):
    if not model or model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    root = getattr(contents_manager, "root_dir", None)
    if root is None:
        return
    target = os.path.realpath(os.path.join(root, path.strip("/")))
    if not target.startswith(_COMMITTED + os.sep):
        return
    nb = model["content"]
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        if isinstance(cell.get("metadata"), dict):
            cell["metadata"].pop("execution", None)
    if isinstance(nb.get("metadata"), dict):
        nb["metadata"].pop("widgets", None)


c.ContentsManager.pre_save_hook = strip_committed_outputs  # noqa: F821 (c is the config Jupyter passes in)
