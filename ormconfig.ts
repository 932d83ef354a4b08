/**
 * The DataSource the TypeORM CLI uses (`npm run migrate`, or `npx typeorm migration:show -d build/ormconfig.js`
 * after `npm run build:examples`). SPINE_DATABASE_URL=mysql://user:pass@host:3306/db selects MySQL/MariaDB;
 * otherwise the embedded SQLite file SPINE_SQLITE_FILE (default .spine/spine.db).
 */
import { createSpineDataSource, mysqlOptions, sqliteOptions } from 'spine-orchestration/typeorm';

const url = process.env.SPINE_DATABASE_URL;

export default createSpineDataSource(url ? mysqlOptions(url) : sqliteOptions(process.env.SPINE_SQLITE_FILE ?? '.spine/spine.db'));
