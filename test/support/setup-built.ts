import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import setupDatabases from './setup-databases';

/** The end-to-end and chaos tiers run the built package and examples: build once per run, then the databases. */
export default async function setupBuilt(): Promise<void> {
  if (process.env.SPINE_TEST_BUILT !== '1') {
    execFileSync('npm', ['run', '--silent', 'build:examples'], { cwd: join(__dirname, '..', '..'), stdio: 'inherit' });
    process.env.SPINE_TEST_BUILT = '1';
  }
  await setupDatabases();
}
