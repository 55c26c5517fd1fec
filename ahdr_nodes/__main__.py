"""``python -m ahdr_nodes`` runs the ``ahdr`` command."""

from ahdr_nodes.cli.main import main

main()
