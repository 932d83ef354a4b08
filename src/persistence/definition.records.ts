import type { WorkflowSpec } from '../core/definition/workflow-spec';
import type { StoredDefinition } from '../core/store/records/run-record';
import { TABLES } from './schema/entities';
import { decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import type { RunWriter } from './run.writer';
import type { SqlClient } from './sql-client';
import type { StoredValues } from './stored-values';

/**
 * The definitions of the TypeORM store (`core_workflows`): code definitions that ran, once per name
 * and hash; declarative ones, versioned. One row per name is active, whatever its kind: the one
 * saved last (a process saves its definitions at start-up, each workflow's newest version last).
 */
export class DefinitionRecords {
  constructor(
    private readonly sql: SqlClient,
    private readonly writer: RunWriter,
    private readonly values: StoredValues,
    /** The store's clock (epoch ms). */
    private readonly now: () => number,
    /** A boolean as the driver stores it. */
    private readonly bool: (value: boolean) => number | boolean,
  ) {}

  async saveDefinition(spec: WorkflowSpec, hash: string): Promise<void> {
    const now = toSqlDatetime(this.now());
    const on = this.bool(true);
    const off = this.bool(false);
    const select = { kind: 'all', sql: `SELECT id, is_active FROM ${TABLES.workflows} WHERE kind = 'code' AND name = ? AND spec_hash = ?`, values: [spec.name, hash] } as const;
    const save = () =>
      this.writer.plan(function* () {
        let found = (yield select) as { id: unknown; is_active: unknown }[];
        if (found.length === 0) {
          yield {
            kind: 'run',
            sql: `INSERT INTO ${TABLES.workflows} (name, domain, version, spec, spec_hash, created_at, updated_at, description, is_active, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'code')`,
            values: [spec.name, spec.domain, spec.version, JSON.stringify(spec), hash, now, now, spec.description, on],
          };
          found = (yield select) as { id: unknown; is_active: unknown }[];
        } else if (!Number(found[0]!.is_active)) {
          yield { kind: 'run', sql: `UPDATE ${TABLES.workflows} SET is_active = ?, updated_at = ? WHERE id = ?`, values: [on, now, found[0]!.id] };
        }
        // one active definition per name, whatever its kind: the one saved last
        yield { kind: 'run', sql: `UPDATE ${TABLES.workflows} SET is_active = ?, updated_at = ? WHERE name = ? AND id <> ? AND is_active = ?`, values: [off, now, spec.name, found[0]!.id, on] };
      });
    try {
      await save();
    } catch (error) {
      // another process inserted the same definition at the same moment (the unique name and hash): it is there now
      const again = await this.sql.all(`SELECT id FROM ${TABLES.workflows} WHERE kind = 'code' AND name = ? AND spec_hash = ?`, [spec.name, hash]);
      if (again.length === 0) throw error;
      await save();
    }
  }

  async saveStoredDefinition(definition: Omit<StoredDefinition, 'isActive' | 'createdAt' | 'updatedAt'>, now: Date): Promise<{ readonly created: boolean }> {
    const at = toSqlDatetime(now);
    const document = this.values.json(definition.document, `the definition of workflow "${definition.name}"`);
    const { name, hash } = definition;
    const on = this.bool(true);
    const off = this.bool(false);
    return this.writer.plan(function* () {
      const found = (yield { kind: 'all', sql: `SELECT id FROM ${TABLES.workflows} WHERE kind = 'declarative' AND name = ? AND spec_hash = ?`, values: [name, hash] }) as unknown[];
      if (found.length > 0) {
        yield { kind: 'run', sql: `UPDATE ${TABLES.workflows} SET is_active = ?, updated_at = ? WHERE kind = 'declarative' AND name = ? AND spec_hash = ?`, values: [on, at, name, hash] };
      } else {
        yield {
          kind: 'run',
          sql:
            `INSERT INTO ${TABLES.workflows} (name, domain, version, spec, spec_hash, created_at, updated_at, description, tags, is_active, created_by, kind) ` +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'declarative')",
          values: [name, definition.domain, definition.version, document, hash, at, at, definition.description, JSON.stringify(definition.tags), on, definition.createdBy],
        };
      }
      // one active definition per name, whatever its kind: the one saved last
      yield {
        kind: 'run',
        sql: `UPDATE ${TABLES.workflows} SET is_active = ?, updated_at = ? WHERE name = ? AND NOT (kind = 'declarative' AND spec_hash = ?) AND is_active = ?`,
        values: [off, at, name, hash, on],
      };
      return { created: found.length === 0 };
    });
  }

  async listStoredDefinitions(): Promise<StoredDefinition[]> {
    const rows = await this.sql.all(`SELECT * FROM ${TABLES.workflows} WHERE kind = 'declarative' AND is_active = ? ORDER BY name`, [this.bool(true)]);
    return rows.map((row) => ({
      name: String(row.name),
      domain: row.domain === null ? null : String(row.domain),
      version: Number(row.version),
      description: row.description === null ? null : String(row.description),
      tags: decodeStored<string[]>(row.tags) ?? [],
      document: decodeStored<Record<string, unknown>>(row.spec) ?? {},
      hash: String(row.spec_hash),
      isActive: Boolean(Number(row.is_active)),
      createdBy: row.created_by === null ? null : String(row.created_by),
      createdAt: fromSqlDatetime(row.created_at)!,
      updatedAt: fromSqlDatetime(row.updated_at ?? row.created_at)!,
    }));
  }

  async markHeld(hashes: readonly string[], at: Date): Promise<void> {
    const when = toSqlDatetime(at);
    for (let i = 0; i < hashes.length; i += 500) {
      const chunk = hashes.slice(i, i + 500);
      await this.sql.run(`UPDATE ${TABLES.workflows} SET held_at = ? WHERE spec_hash IN (${chunk.map(() => '?').join(', ')}) AND (held_at IS NULL OR held_at < ?)`, [when, ...chunk, when]);
    }
  }
}
