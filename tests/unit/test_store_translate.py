"""The PostgreSQL store speaks the SQLite store's SQL (issue 16): each translation, and the migrations' DDL."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg")

from server.store import MIGRATIONS
from server.store_pg import translate, translate_ddl


def test_placeholders_become_psycopg_ones_and_a_literal_percent_stays_literal():
    assert translate("SELECT id FROM members WHERE id = ? AND name LIKE '5%'") == "SELECT id FROM members WHERE id = %s AND name LIKE '5%%'"


def test_insert_or_ignore_is_on_conflict_do_nothing():
    assert translate("INSERT OR IGNORE INTO schedule_settings (group_id) VALUES (?)") == (
        "INSERT INTO schedule_settings (group_id) VALUES (%s) ON CONFLICT DO NOTHING"
    )


def test_a_two_argument_max_is_greatest_and_an_aggregate_max_stays():
    assert translate("UPDATE attendance SET left_at = MAX(joined_at, ?) WHERE left_at IS NULL") == (
        "UPDATE attendance SET left_at = GREATEST(joined_at, %s) WHERE left_at IS NULL"
    )
    assert translate("SELECT MAX(seq) FROM events") == "SELECT MAX(seq) FROM events"


def test_an_insert_into_a_table_with_an_id_returns_it_and_begin_immediate_is_begin():
    assert translate("INSERT INTO groups (name, created_at) VALUES (?, ?)").endswith(" RETURNING id")
    assert not translate("INSERT INTO events (group_id) VALUES (?)").endswith("RETURNING id")
    assert translate("BEGIN IMMEDIATE") == "BEGIN"


def test_every_migration_translates_to_postgresql_types():
    ddl = "\n".join(translate_ddl(m) for m in MIGRATIONS)
    assert "WITHOUT ROWID" not in ddl and " BLOB" not in ddl and " REAL" not in ddl and " INTEGER" not in ddl
    assert "id BIGSERIAL PRIMARY KEY" in ddl and "data BYTEA NOT NULL" in ddl and "ts DOUBLE PRECISION NOT NULL" in ddl
