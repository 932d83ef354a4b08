import { Spine, type SpineOptions } from 'spine-orchestration';

/**
 * Spines a test creates (recovery off unless asked), each closed after the test. Call in a
 * `describe`: `const { create } = useSpines();`.
 */
export function useSpines(): { create(options: SpineOptions): Promise<Spine>; forget(spine: Spine): void } {
  let spines: Spine[] = [];
  afterEach(async () => {
    await Promise.all(spines.map((s) => s.close({ timeoutMs: 1_000 })));
    spines = [];
  });
  return {
    async create(options) {
      const spine = await Spine.create({ recoverOnStart: false, ...options });
      spines.push(spine);
      return spine;
    },
    /** A Spine the test closed itself. */
    forget(spine) {
      spines = spines.filter((s) => s !== spine);
    },
  };
}
