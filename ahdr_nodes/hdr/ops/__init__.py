"""Pure array operations behind the HDR nodes: no node or file handling here."""
