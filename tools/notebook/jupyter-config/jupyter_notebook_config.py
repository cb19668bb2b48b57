# The classic Notebook (6.x) reads this name; the hook itself is in jupyter_server_config.py.
load_subconfig("jupyter_server_config.py")  # noqa: F821 (Jupyter passes it in)
