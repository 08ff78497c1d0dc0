"""From a commit's files to a system map: parse (in workers), name, resolve, build."""
