import type { DriverFamily } from './schema/column-types';

/**
 * What differs in the SQL of the three families, beyond column types. The store writes one SQL
 * text per statement ('?' placeholders, unquoted snake_case names); PostgreSQL's driver takes
 * `$1, $2, …` instead, which `forDriver` rewrites once per text (cached).
 */
export interface SqlDialect {
  readonly family: DriverFamily;
  /** A row lock a read takes inside a transaction (`''` on SQLite, whose writers hold the whole database). */
  readonly forUpdate: string;
  /** A shared row lock. */
  readonly forShare: string;
  /** `INSERT` that skips a row whose key exists (and only that): its verb, and what goes after its values. */
  readonly insertIgnore: readonly [verb: string, tail: string];
  /** The statement and values as the driver takes them. */
  forDriver(sql: string, values: readonly unknown[]): [string, unknown[]];
}

/** The dialect of a driver family. */
export function dialectOf(family: DriverFamily): SqlDialect {
  return DIALECTS[family];
}

const same = (sql: string, values: readonly unknown[]): [string, unknown[]] => [sql, [...values]];

const DIALECTS: Record<DriverFamily, SqlDialect> = {
  sqlite: { family: 'sqlite', forUpdate: '', forShare: '', insertIgnore: ['INSERT OR IGNORE', ''], forDriver: same },
  // MySQL counts a duplicate that ON DUPLICATE KEY left alone as found, not changed; INSERT IGNORE would also swallow data errors
  mysql: { family: 'mysql', forUpdate: ' FOR UPDATE', forShare: ' LOCK IN SHARE MODE', insertIgnore: ['INSERT', ' ON DUPLICATE KEY UPDATE {key} = {key}'], forDriver: same },
  postgres: {
    family: 'postgres',
    forUpdate: ' FOR UPDATE',
    forShare: ' FOR SHARE',
    insertIgnore: ['INSERT', ' ON CONFLICT DO NOTHING'],
    forDriver: (sql, values) => [postgresText(sql), values.map(postgresValue)],
  },
};

/** The `tail` of an insert that skips existing rows, for a table keyed by `key` (MySQL names a column to leave alone). */
export function insertIgnoreTail(dialect: SqlDialect, key: string): string {
  return dialect.insertIgnore[1].replaceAll('{key}', key);
}

const texts = new Map<string, string>();

/** `?` placeholders as `$1, $2, …`, outside quoted literals and names; cached by text. */
export function postgresText(sql: string): string {
  const cached = texts.get(sql);
  if (cached !== undefined) return cached;
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote !== null) {
      if (c === quote) quote = null; // a doubled quote closes and reopens: the same text
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') out += `$${++n}`;
    else out += c;
  }
  if (texts.size < 1024) texts.set(sql, out);
  return out;
}

/** A datetime as the store writes it: UTC, 'YYYY-MM-DD HH:MM:SS.SSS' (`toSqlDatetime`). */
const SQL_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

/**
 * A value as PostgreSQL should read it: a datetime in the store's UTC form gets its zone, so a
 * `timestamptz` column stores that instant whatever the session's TimeZone is.
 */
export function postgresValue(value: unknown): unknown {
  return typeof value === 'string' && value.length === 23 && SQL_DATETIME.test(value) ? `${value}Z` : value;
}
