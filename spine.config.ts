/**
 * The `spine` command line's configuration for this repository: the FINRA OTC and market-data
 * examples (see examples/examples.config.ts), run from their TypeScript sources, recorded in
 * `.spine/spine.db` (or MySQL/MariaDB when SPINE_DATABASE_URL is set).
 *
 *   npx spine workflows
 *   npx spine run finra.weekly_refresh --param week_ending=2026-10-23 --param tier=OTC
 */
import { defineConfig } from 'spine-orchestration';
import { examplesConfig } from './examples/examples.config';

export default defineConfig(() => examplesConfig(__dirname));
