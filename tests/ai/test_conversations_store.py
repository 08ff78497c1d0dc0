"""The conversations tables: migration 10 applied in order with the others, even after a gap,
and removed with their project."""

from __future__ import annotations

import duckdb

from workbench.store.migrations import MIGRATIONS, migrate


def test_a_lower_migration_merged_later_is_still_applied(tmp_path):
    path = str(tmp_path / "gap.duckdb")
    con = duckdb.connect(path)
    # 10 (conversations) stands alone: no later migration alters its tables
    without_ten = tuple(m for m in MIGRATIONS if m.version != 10)
    assert migrate(con, path, migrations=without_ten) == without_ten[-1].version
    assert 10 not in [r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()]
    assert migrate(con, path) == MIGRATIONS[-1].version
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()]
    assert versions == [m.version for m in MIGRATIONS]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"chunks", "conversations", "messages", "model_defaults"} <= tables
    con.close()


def test_removing_a_project_removes_its_conversations(shop):
    answer = shop.ask("where is money formatted?", "shop")
    shop.set_default_model("shop", "extractive")
    assert len(shop.conversation(answer.conversation_id)) == 2
    shop.remove_project("shop")
    left = shop.sql("SELECT (SELECT count(*) FROM conversations) AS c,"
                    " (SELECT count(*) FROM messages) AS m,"
                    " (SELECT count(*) FROM model_defaults) AS d")
    assert left.iloc[0].tolist() == [0, 0, 0]


def test_the_project_handle_asks_too(shop):
    answer = shop.project("shop").ask("where is money formatted?")
    assert answer.extracted and answer.valid_citations
    assert shop.project("shop").conversations()["id"].tolist() == [answer.conversation_id]
