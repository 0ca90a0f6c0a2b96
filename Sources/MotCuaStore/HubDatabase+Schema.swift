import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// The national index's tables, migration by migration (a shipped migration never changes).
extension HubDatabase {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-hub-schema") { db in
            try db.execute(sql: """
                CREATE TABLE nodes (
                    node_id TEXT PRIMARY KEY NOT NULL CHECK (length(node_id) BETWEEN 1 AND 64),
                    applied_seq INTEGER NOT NULL DEFAULT 0 CHECK (applied_seq >= 0),
                    applied_hash TEXT NOT NULL CHECK (length(applied_hash) = 64),
                    last_contact_ms INTEGER,
                    lag_ms INTEGER,
                    quarantined_reason TEXT,
                    quarantined_at_ms INTEGER
                );
                CREATE TABLE national_dossiers (
                    code TEXT PRIMARY KEY NOT NULL,
                    node_id TEXT NOT NULL REFERENCES nodes(node_id),
                    receiving_unit TEXT,
                    competent_unit TEXT,
                    holder_unit TEXT,
                    holder_level TEXT,
                    procedure_code TEXT,
                    status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 10),
                    state TEXT,
                    channel TEXT,
                    submitted_at_ms INTEGER,
                    received_at_ms INTEGER,
                    due_at_ms INTEGER,
                    finished_at_ms INTEGER,
                    returned_at_ms INTEGER,
                    flags TEXT NOT NULL,
                    applicant_ref TEXT,
                    last_seq INTEGER NOT NULL
                );
                CREATE INDEX national_by_node_status ON national_dossiers(node_id, status);
                CREATE INDEX national_by_procedure ON national_dossiers(procedure_code);
                CREATE INDEX national_by_due ON national_dossiers(due_at_ms) WHERE finished_at_ms IS NULL;
                """)
        }
        migrator.registerMigration("2026-11-30-routing") { db in
            try db.execute(sql: """
                ALTER TABLE national_dossiers ADD COLUMN receiving_node TEXT;
                ALTER TABLE national_dossiers ADD COLUMN competent_node TEXT;
                ALTER TABLE national_dossiers ADD COLUMN holder_node TEXT;
                ALTER TABLE national_dossiers ADD COLUMN hop INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE national_dossiers ADD COLUMN cross_node INTEGER NOT NULL DEFAULT 0 CHECK (cross_node IN (0, 1));
                -- Rows indexed before routing were filed, decided and held at their own node.
                UPDATE national_dossiers SET receiving_node = node_id, holder_node = node_id;
                -- The receiving node is the row's node (the filing node owns the row): node_id's index serves it.
                CREATE INDEX national_by_holder_node ON national_dossiers(holder_node, status);
                CREATE INDEX national_cross_node ON national_dossiers(code) WHERE cross_node = 1;
                -- The journey of each dossier: one row per stay at a unit, folded from the events' paths.
                CREATE TABLE national_hops (
                    code TEXT NOT NULL,
                    idx INTEGER NOT NULL CHECK (idx >= 0),
                    node TEXT,
                    unit TEXT NOT NULL,
                    level TEXT,
                    arrived_at_ms INTEGER NOT NULL,
                    received_at_ms INTEGER,
                    left_at_ms INTEGER,
                    step_due_at_ms INTEGER,
                    step TEXT,
                    PRIMARY KEY (code, idx)
                ) WITHOUT ROWID;
                -- Which node serves which unit: each node registers its own units.
                CREATE TABLE federation_units (
                    code TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
                    node_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('ministry','province','district','commune')),
                    parent_code TEXT,
                    updated_at_ms INTEGER NOT NULL
                );
                CREATE INDEX federation_units_by_node ON federation_units(node_id);
                """)
        }
        migrator.registerMigration("2026-12-03-members") { db in
            try db.execute(sql: """
                -- Batches are accepted only from the federation's members: nodes an operator (or the topology
                -- the hub starts with) admitted. Nodes already known when this shipped had been admitted
                -- by use, so they stay members.
                ALTER TABLE nodes ADD COLUMN member INTEGER NOT NULL DEFAULT 0 CHECK (member IN (0, 1));
                UPDATE nodes SET member = 1;
                -- The node's own log head as it last reported it: a head behind applied_seq means the node
                -- lost part of its log.
                ALTER TABLE nodes ADD COLUMN reported_head_seq INTEGER;
                ALTER TABLE nodes ADD COLUMN reported_head_at_ms INTEGER;
                """)
        }
        return migrator
    }
}
