import type { MigrationInterface, QueryRunner } from 'typeorm';
import { familyOf } from '../schema/column-types';
import { DESIGN_VIEWS, designViewSql } from './1767657600000-design-schema';

/**
 * The design's dashboard views return numbers on MySQL/MariaDB too: their sums and the valid rate
 * are cast (SUM and a decimal division are DECIMAL there, which drivers hand back as strings).
 * SQLite's views are unchanged. Frozen.
 */
export class DesignViewNumbers1768003200000 implements MigrationInterface {
  name = 'DesignViewNumbers1768003200000';

  async up(runner: QueryRunner): Promise<void> {
    await recreate(runner, true);
  }

  async down(runner: QueryRunner): Promise<void> {
    await recreate(runner, false);
  }
}

async function recreate(runner: QueryRunner, numbers: boolean): Promise<void> {
  const family = familyOf(runner.connection.options.type);
  if (family !== 'mysql') return;
  const escape = (name: string): string => runner.connection.driver.escape(name);
  const sql = designViewSql(family, { numbers });
  for (const view of DESIGN_VIEWS) await runner.query(`CREATE OR REPLACE VIEW ${escape(view)} AS ${sql[view]}`);
}
