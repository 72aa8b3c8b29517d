"""Local development and test stack: keys, databases, gateway, processes.

`python -m devstack up|down|status|logs|keys|db|render-nginx` runs the system on this
machine; `devstack.stack` starts isolated copies of it for tests.
"""
