import { Step, Workflow, workflowHash, workflowSpec, type RunStore } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { describeEachStore, uniqueId } from './support/contract-stores';

/** DefinitionStore: code definitions that ran (once per name and hash) and declarative definitions, one active version per name. */
describeEachStore('contract: DefinitionStore', (backend) => {
  let clock: FakeClock;
  let store: RunStore;
  beforeEach(() => {
    clock = new FakeClock({ start: Date.parse('2026-06-01T00:00:00Z'), autoAdvance: false });
    store = backend.make({ clock });
  });

  it('keeps a code definition once per name and hash (saving it again is harmless)', async () => {
    const wf = Workflow.define({ name: uniqueId('def.code'), steps: [Step.lambda('a', () => ({}))] });
    await store.saveDefinition(workflowSpec(wf), workflowHash(wf));
    await expect(store.saveDefinition(workflowSpec(wf), workflowHash(wf))).resolves.toBeUndefined();
  });

  it('activates the declarative version saved last, re-activates one saved again, and lists the active ones only', async () => {
    const name = uniqueId('def.stored');
    const version = (v: number, hash: string) => ({ name, domain: null, version: v, description: `v${v}`, tags: [], document: { name, version: v }, hash, createdBy: 'test' });
    expect(await store.saveStoredDefinition(version(1, 'a'.repeat(64)), new Date(clock.now()))).toEqual({ created: true });
    expect(await store.saveStoredDefinition(version(2, 'b'.repeat(64)), new Date(clock.now() + 1))).toEqual({ created: true });
    expect((await store.listStoredDefinitions()).filter((d) => d.name === name).map((d) => [d.version, d.isActive])).toEqual([[2, true]]);
    expect(await store.saveStoredDefinition(version(1, 'a'.repeat(64)), new Date(clock.now() + 2))).toEqual({ created: false });
    expect((await store.listStoredDefinitions()).filter((d) => d.name === name).map((d) => d.version)).toEqual([1]);
  });
});
