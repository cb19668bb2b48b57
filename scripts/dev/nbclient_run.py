#!/usr/bin/python3
"""Reference runs with Jupyter's nbclient (Debian's python3-nbclient), for
scripts/dev/compareRunners.ts only: executes each notebook with the tslab
kernel and prints one JSON line per notebook with the wall time of
NotebookClient.execute() (kernel start to shutdown).

usage: JUPYTER_PATH=.jupyter/share/jupyter nbclient_run.py OUT_DIR NOTEBOOK...
"""
import json, os, sys, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

out_dir, notebooks = sys.argv[1], sys.argv[2:]
os.makedirs(out_dir, exist_ok=True)
for path in notebooks:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="tslab", timeout=1800,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    start = time.monotonic()
    ok = True
    try:
        client.execute()
    except CellExecutionError:
        ok = False
    seconds = time.monotonic() - start
    out = os.path.join(out_dir, os.path.basename(path))
    nbformat.write(nb, out)
    print(json.dumps({"notebook": path, "output": out, "seconds": seconds, "ok": ok}), flush=True)
