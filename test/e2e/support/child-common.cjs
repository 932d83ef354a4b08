// What the chaos test's child processes share: the built package, their config (argv[2]) and the
// side-effect log they append to (one JSON object per line, with pid and a sub-millisecond time).
'use strict';
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', '..', '..', 'dist');
const config = JSON.parse(process.argv[2]);
// the wall clock every process shares (a process's monotonic clock drifts from it, and its origin is fixed at its start)
const now = () => Date.now();

/** DataSource options for a chaos database: a SQLite file, a mysql:// or a postgres:// URL. */
function optionsOf(database) {
  const { sqliteOptions, mysqlOptions, postgresOptions } = require(join(dist, 'persistence', 'index.js'));
  if (database.startsWith('mysql://')) return mysqlOptions(database);
  if (database.startsWith('postgres://')) return postgresOptions(database);
  return sqliteOptions(database);
}

module.exports = {
  optionsOf,
  spine: require(join(dist, 'index.js')),
  persistence: require(join(dist, 'persistence', 'index.js')),
  config,
  now,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  log: (entry) => appendFileSync(config.log, `${JSON.stringify({ ...entry, pid: process.pid, t: now() })}\n`),
  /** The child's DataSource on the database it was given (a SQLite file, a mysql:// or a postgres:// URL), initialized and migrated. */
  async openDatabase() {
    const { createSpineDataSource, runMigrationsExclusively } = module.exports.persistence;
    const options = module.exports.optionsOf(config.database);
    const dataSource = await createSpineDataSource(options).initialize();
    await runMigrationsExclusively(dataSource);
    return dataSource;
  },
};
