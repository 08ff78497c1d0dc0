"""Agents of the idea → spec → tasks → pull request review pipeline.

* capture (:mod:`.capture`): an idea from a notebook, the CLI, the server or a webhook is
  stored and published as ``idea.created``;
* define (:mod:`.define`): idea → spec (problem, goals, requirements, acceptance criteria and
  the code areas involved, found through search and the map, each with its impact set) →
  ``spec.frozen``;
* planner (:mod:`.planner`): spec → tasks whose dependencies form a validated DAG, with
  estimates and the nodes each touches and may break → ``tasks.created``;
* reviewer (:mod:`.reviewer`): ``pr.opened`` → map the head, diff it against the base, check
  contracts, list the impact and the tasks covered → ``pr.reviewed``;
* build (:mod:`.build`, opt-in): one task handed to Goose in a worktree of the clone, its
  branch published as ``pr.opened``.

With the extractive provider (the default) define and planner are deterministic and
rule-based; with a chat provider they ask for schema-validated JSON (:mod:`.structured`).
:class:`~.service.Ideas` is the facade's ``wb.ideas``; :class:`~.service.Agents` subscribes
the agents to ``wb.events``.
"""
