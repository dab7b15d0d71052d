"""What must never happen to the queue, refused by the database itself.

- A place's key, list and block never change (the order is fixed at acceptance, DOMAIN.md §7).
- The per-block counters that positions are read from follow every insert and every change of `active`,
  whoever writes the row. A bulk loader may switch this off for its own transaction only
  (SET LOCAL kezek.bulk_load = 'on') and must rebuild the counters before committing
  (queues.services.entries.rebuild_blocks).
- The queue log is append-only (on SQLite, UPDATE only: Django's test flush deletes rows there).
"""

from django.db import migrations

from core.migration_sql import vendor_operation

PG = [
    """
    CREATE OR REPLACE FUNCTION queues_entry_key_immutable() RETURNS trigger AS $$
    BEGIN
        IF NEW.queue_list_id IS DISTINCT FROM OLD.queue_list_id OR NEW.accepted_at IS DISTINCT FROM OLD.accepted_at
           OR NEW.queue_seq IS DISTINCT FROM OLD.queue_seq OR NEW.block_no IS DISTINCT FROM OLD.block_no THEN
            RAISE EXCEPTION 'the key of queue entry % is immutable', OLD.id;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER queue_entry_key_immutable BEFORE UPDATE OF queue_list_id, accepted_at, queue_seq, block_no "
    "ON queues_queueentry FOR EACH ROW EXECUTE FUNCTION queues_entry_key_immutable();",
    """
    CREATE OR REPLACE FUNCTION queues_entry_counts() RETURNS trigger AS $$
    BEGIN
        IF current_setting('kezek.bulk_load', true) = 'on' THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN
            INSERT INTO queues_queueblock (queue_list_id, block_no, active_count, total_count)
            VALUES (NEW.queue_list_id, NEW.block_no, CASE WHEN NEW.active THEN 1 ELSE 0 END, 1)
            ON CONFLICT (queue_list_id, block_no) DO UPDATE
                SET active_count = queues_queueblock.active_count + EXCLUDED.active_count,
                    total_count = queues_queueblock.total_count + 1;
        ELSIF TG_OP = 'UPDATE' THEN
            IF NEW.active IS DISTINCT FROM OLD.active THEN
                UPDATE queues_queueblock
                   SET active_count = active_count + CASE WHEN NEW.active THEN 1 ELSE -1 END
                 WHERE queue_list_id = NEW.queue_list_id AND block_no = NEW.block_no;
            END IF;
        ELSE
            UPDATE queues_queueblock
               SET active_count = active_count - CASE WHEN OLD.active THEN 1 ELSE 0 END,
                   total_count = total_count - 1
             WHERE queue_list_id = OLD.queue_list_id AND block_no = OLD.block_no;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER queue_entry_counts AFTER INSERT OR DELETE OR UPDATE OF active "
    "ON queues_queueentry FOR EACH ROW EXECUTE FUNCTION queues_entry_counts();",
    """
    CREATE OR REPLACE FUNCTION queues_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the queue log is append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER queue_event_append_only BEFORE UPDATE OR DELETE ON queues_queueevent "
    "FOR EACH ROW EXECUTE FUNCTION queues_event_append_only();",
]
SQLITE = [
    "CREATE TRIGGER queue_entry_key_immutable BEFORE UPDATE OF queue_list_id, accepted_at, queue_seq, block_no "
    "ON queues_queueentry WHEN NEW.queue_list_id IS NOT OLD.queue_list_id OR NEW.accepted_at IS NOT OLD.accepted_at "
    "OR NEW.queue_seq IS NOT OLD.queue_seq OR NEW.block_no IS NOT OLD.block_no "
    "BEGIN SELECT RAISE(ABORT, 'the key of a queue entry is immutable'); END;",
    "CREATE TRIGGER queue_entry_count_insert AFTER INSERT ON queues_queueentry BEGIN "
    "INSERT OR IGNORE INTO queues_queueblock (queue_list_id, block_no, active_count, total_count) "
    "VALUES (NEW.queue_list_id, NEW.block_no, 0, 0); "
    "UPDATE queues_queueblock SET active_count = active_count + NEW.active, total_count = total_count + 1 "
    "WHERE queue_list_id = NEW.queue_list_id AND block_no = NEW.block_no; END;",
    "CREATE TRIGGER queue_entry_count_update AFTER UPDATE OF active ON queues_queueentry "
    "WHEN NEW.active IS NOT OLD.active BEGIN "
    "UPDATE queues_queueblock SET active_count = active_count + (CASE WHEN NEW.active THEN 1 ELSE -1 END) "
    "WHERE queue_list_id = NEW.queue_list_id AND block_no = NEW.block_no; END;",
    "CREATE TRIGGER queue_entry_count_delete AFTER DELETE ON queues_queueentry BEGIN "
    "UPDATE queues_queueblock SET active_count = active_count - OLD.active, total_count = total_count - 1 "
    "WHERE queue_list_id = OLD.queue_list_id AND block_no = OLD.block_no; END;",
    "CREATE TRIGGER queue_event_no_update BEFORE UPDATE ON queues_queueevent "
    "BEGIN SELECT RAISE(ABORT, 'the queue log is append-only (UPDATE refused)'); END;",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS queue_entry_key_immutable ON queues_queueentry;",
    "DROP TRIGGER IF EXISTS queue_entry_counts ON queues_queueentry;",
    "DROP TRIGGER IF EXISTS queue_event_append_only ON queues_queueevent;",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS queue_entry_key_immutable;",
    "DROP TRIGGER IF EXISTS queue_entry_count_insert;",
    "DROP TRIGGER IF EXISTS queue_entry_count_update;",
    "DROP TRIGGER IF EXISTS queue_entry_count_delete;",
    "DROP TRIGGER IF EXISTS queue_event_no_update;",
]


class Migration(migrations.Migration):
    dependencies = [("queues", "0002_queue_entries_ledger_publication")]
    operations = [
        vendor_operation(postgresql=PG, sqlite=SQLITE, postgresql_reverse=PG_REVERSE, sqlite_reverse=SQLITE_REVERSE)
    ]
