import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Runs the package and the examples as built by the test set-up (as `npm run demo` builds them), as a user would. */
describe('the built package', () => {

  it('runs the quick start from dist, resolving spine-orchestration by its package name', () => {
    const out = execFileSync(process.execPath, [join(root, 'build', 'examples', 'quickstart.js')], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('Status: completed');
    expect(out).toContain('Steps completed: 3/3');
    expect(out).toContain('Status: failed at "validate" (DATA_QUALITY)');
    expect(out).toContain('per_tier results: [{"tier":"NMS Tier 1","weeks":6},{"tier":"NMS Tier 2","weeks":6},{"tier":"OTC","weeks":6}]');
  });

  it('runs the decorators example: discovery from compiled modules, injection, a DTO refusing bad params', () => {
    const out = execFileSync(process.execPath, [join(root, 'build', 'examples', 'decorators', 'main.js')], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('Discovered workflows: finra.all_tiers, finra.weekly_refresh');
    expect(out).toContain('[notify] NMS Tier 2 week 2026-01-09: top ');
    expect(out).toContain('→ completed; 3/3 tiers refreshed');
    expect(out).toContain('Invalid params for workflow "finra.weekly_refresh" (3 fields); no run was started:');
    expect(out).toContain('2 runs recorded: finra.all_tiers=completed, finra.weekly_refresh=completed');
  });

  it('exposes the root, /groups and /testing entry points through package exports', () => {
    const script = [
      "const root = require('spine-orchestration');",
      "const groups = require('spine-orchestration/groups');",
      "const testing = require('spine-orchestration/testing');",
      "console.log([typeof root.Workflow.define, typeof root.WorkflowRunner, typeof groups.PipelineGroup, typeof groups.PipelineStep, typeof testing.FakeClock].join(','));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function,function,function,function,function');
  });
});
