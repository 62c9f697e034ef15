"""The README and docs/ stay true to the tree: the layout it draws, its length, its links."""
