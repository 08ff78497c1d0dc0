"""Repository access: validated sources, hardened git, bare clones."""
