import { Step, Workflow, workflowHash, workflowSpec } from 'spine-orchestration';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';

/** DefinitionStore: code definitions that ran (once per name and hash) and declarative definitions, one active version per name. */
describeEachStore('contract: DefinitionStore', (backend) => {
  const t = freshStorePerTest(backend);

  it('keeps a code definition once per name and hash (saving it again is harmless)', async () => {
    const wf = Workflow.define({ name: uniqueId('def.code'), steps: [Step.lambda('a', () => ({}))] });
    await t.store.saveDefinition(workflowSpec(wf), workflowHash(wf));
    await expect(t.store.saveDefinition(workflowSpec(wf), workflowHash(wf))).resolves.toBeUndefined();
  });

  it('activates the declarative version saved last, re-activates one saved again, and lists the active ones only', async () => {
    const name = uniqueId('def.stored');
    const version = (v: number, hash: string) => ({ name, domain: null, version: v, description: `v${v}`, tags: [], document: { name, version: v }, hash, createdBy: 'test' });
    expect(await t.store.saveStoredDefinition(version(1, 'a'.repeat(64)), new Date(t.clock.now()))).toEqual({ created: true });
    expect(await t.store.saveStoredDefinition(version(2, 'b'.repeat(64)), new Date(t.clock.now() + 1))).toEqual({ created: true });
    expect((await t.store.listStoredDefinitions()).filter((d) => d.name === name).map((d) => [d.version, d.isActive])).toEqual([[2, true]]);
    expect(await t.store.saveStoredDefinition(version(1, 'a'.repeat(64)), new Date(t.clock.now() + 2))).toEqual({ created: false });
    expect((await t.store.listStoredDefinitions()).filter((d) => d.name === name).map((d) => d.version)).toEqual([1]);
  });

  it('saves one definition from several processes at once: every save succeeds', async () => {
    const wf = Workflow.define({ name: uniqueId('def.race'), steps: [Step.lambda('a', () => ({}))] });
    const stores = [t.store, backend.make(), backend.make(), backend.make()];
    await expect(Promise.all(stores.map((store) => store.saveDefinition(workflowSpec(wf), workflowHash(wf))))).resolves.toHaveLength(4);
  });

  it('keeps one active definition per name whatever route saved it: a code definition saved after a declarative one replaces it, and back', async () => {
    const name = uniqueId('def.mixed');
    const declarative = { name, domain: null, version: 2, description: null, tags: [], document: { name, version: 2 }, hash: 'd'.repeat(64), createdBy: null };
    await t.store.saveStoredDefinition(declarative, new Date(t.clock.now()));
    expect((await t.store.listStoredDefinitions()).filter((d) => d.name === name).map((d) => d.version)).toEqual([2]);
    const code = Workflow.define({ name, version: 2, steps: [Step.lambda('a', () => ({}))] });
    await t.store.saveDefinition(workflowSpec(code), workflowHash(code));
    expect((await t.store.listStoredDefinitions()).filter((d) => d.name === name)).toEqual([]);
    await t.store.saveStoredDefinition(declarative, new Date(t.clock.now() + 1));
    expect((await t.store.listStoredDefinitions()).filter((d) => d.name === name).map((d) => d.version)).toEqual([2]);
  });
});
