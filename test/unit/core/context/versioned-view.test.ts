import { VersionedView } from '../../../../src/core/context/versioned-view';

describe('VersionedView', () => {
  it('leaves every earlier view as it was', () => {
    const v0 = VersionedView.of({ a: 1 });
    const v1 = v0.set('a', 2);
    const v2 = v1.setAll({ b: 3, a: 4 });
    expect([v0.get('a'), v1.get('a'), v2.get('a')]).toEqual([1, 2, 4]);
    expect(v1.has('b')).toBe(false);
    expect(v2.toObject()).toEqual({ a: 4, b: 3 });
  });

  it('keeps a value set to undefined distinct from a missing key', () => {
    const v = VersionedView.of().set('x', undefined);
    expect(v.has('x')).toBe(true);
    expect(v.has('y')).toBe(false);
  });

  it('forks when a non-head view is written, and flattens deep forks', () => {
    let view = VersionedView.of({ root: 0 });
    const views: VersionedView[] = [];
    for (let i = 0; i < 20; i++) {
      const fork = view.set(`k${i}`, i);
      view.set(`other${i}`, i); // a second write from the same view forks
      views.push(fork);
      view = fork.set('dummy', i);
      fork.set('x', 1); // fork is no longer head: forces a new layer on the next derivation
    }
    expect(view.get('root')).toBe(0);
    expect(view.get('k19')).toBe(19);
    expect(view.has('other19')).toBe(false);
    expect(views[3]!.has('k4')).toBe(false);
    expect(Object.keys(view.toObject())).toEqual(expect.arrayContaining(['root', 'k0', 'k19', 'dummy']));
  });

  it('returns the same frozen snapshot for repeated toObject calls', () => {
    const v = VersionedView.of({ a: 1 });
    expect(v.toObject()).toBe(v.toObject());
    expect(Object.isFrozen(v.toObject())).toBe(true);
  });
});
