#!/usr/bin/python3
"""Executes one notebook through the real Jupyter protocol (nbclient) with
the tslab kernel and writes the executed copy. On a failing cell it prints
the notebook, the cell number and the error, and exits 1.

usage: execute_notebook.py INPUT.ipynb OUTPUT.ipynb [--timeout SECONDS]
"""
import os, re, sys, argparse, tempfile
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

p = argparse.ArgumentParser()
p.add_argument("input"); p.add_argument("output")
p.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
a = p.parse_args()

nb = nbformat.read(a.input, as_version=4)
client = NotebookClient(nb, kernel_name="tslab", timeout=a.timeout,
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(a.input))}})


def write():
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(a.output)), suffix=".ipynb.tmp")
    with os.fdopen(fd, "w") as f:
        nbformat.write(nb, f)
    os.replace(tmp, a.output)


code_index = 0
try:
    # Cell by cell, so a failure names its cell.
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                code_index += 1
            client.execute_cell(cell, index)
except (CellExecutionError, CellTimeoutError) as err:
    write()
    cell = nb.cells[index]
    src = cell.source.strip().splitlines()
    # tslab reports the exception on stderr (its reply's evalue is empty): take
    # the first "SomeError: message" line there, else what nbclient saw.
    stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
    found = re.search(r"^((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)\b[^:\n]*: .*)$", stderr, re.M)
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if found:
        what = found.group(1)
    elif errors and errors[0].get("evalue"):
        what = f"{errors[0].get('ename')}: {errors[0].get('evalue')}"
    else:
        what = (stderr.strip().splitlines() or str(err).strip().splitlines() or [type(err).__name__])[-1]
    print(f"FAILED {os.path.basename(a.input)}, code cell {code_index} ({src[0] if src else ''}): {what}", file=sys.stderr)
    sys.exit(1)
write()
