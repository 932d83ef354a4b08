import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's own version (from its package.json, wherever it is installed). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
