/**
 * A persistent string-keyed map: every `set` returns a new view and leaves the old one unchanged,
 * in O(1) when views are derived in a line (the runner's case). Views share one append-only layer
 * of versioned entries; a view sees the entries up to its own version. Deriving twice from the same
 * view forks a new layer on top of it, so older views never see later writes.
 */
interface Entry {
  readonly version: number;
  readonly value: unknown;
}

/** One entry, or several once a key is written again (most keys are written once: no array then). */
type Entries = Entry | Entry[];

interface Layer {
  readonly entries: Map<string, Entries>;
  head: number;
  readonly base: VersionedView | null;
  readonly depth: number;
}

const MAX_DEPTH = 8;
const MISSING: unique symbol = Symbol('missing');

/** An immutable snapshot of a versioned map. */
export class VersionedView {
  private snapshot: Readonly<Record<string, unknown>> | undefined;

  private constructor(
    private readonly layer: Layer,
    private readonly version: number,
  ) {}

  /** An empty view, or one holding the given record's own keys. */
  static of(record?: Readonly<Record<string, unknown>>): VersionedView {
    const view = new VersionedView({ entries: new Map(), head: 0, base: null, depth: 0 }, 0);
    return record ? view.setAll(record) : view;
  }

  /** The value under `key`, or undefined. */
  get(key: string): unknown {
    const value = this.lookup(key);
    return value === MISSING ? undefined : value;
  }

  /** True when `key` was ever set in this view. */
  has(key: string): boolean {
    return this.lookup(key) !== MISSING;
  }

  /** A view with `key` set to `value`. */
  set(key: string, value: unknown): VersionedView {
    const target = this.writable();
    const version = target.version + 1;
    target.append(key, version, value);
    target.layer.head = version;
    return new VersionedView(target.layer, version);
  }

  /** A view with every own key of `record` set (one new version for all of them). */
  setAll(record: Readonly<Record<string, unknown>>): VersionedView {
    const keys = Object.keys(record);
    if (keys.length === 0) return this;
    const target = this.writable();
    const version = target.version + 1;
    for (const key of keys) target.append(key, version, record[key]);
    target.layer.head = version;
    return new VersionedView(target.layer, version);
  }

  /** A frozen plain object of every key and value this view sees (built once per view). */
  toObject(): Readonly<Record<string, unknown>> {
    if (this.snapshot === undefined) {
      const out: Record<string, unknown> = {};
      this.collect(out);
      this.snapshot = Object.freeze(out);
    }
    return this.snapshot;
  }

  private collect(out: Record<string, unknown>): void {
    this.layer.base?.collect(out);
    for (const [key, entries] of this.layer.entries) {
      const value = visible(entries, this.version);
      if (value !== MISSING) out[key] = value;
    }
  }

  private lookup(key: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk down the layers starts here
    let view: VersionedView | null = this;
    while (view !== null) {
      const entries = view.layer.entries.get(key);
      if (entries !== undefined) {
        const value = visible(entries, view.version);
        if (value !== MISSING) return value;
      }
      view = view.layer.base;
    }
    return MISSING;
  }

  /** This view when it is the head of its layer; otherwise a fresh layer on top of it (flattened when deep). */
  private writable(): VersionedView {
    if (this.layer.head === this.version) return this;
    if (this.layer.depth >= MAX_DEPTH) return VersionedView.of(this.toObject());
    return new VersionedView({ entries: new Map(), head: 0, base: this, depth: this.layer.depth + 1 }, 0);
  }

  private append(key: string, version: number, value: unknown): void {
    const entries = this.layer.entries.get(key);
    if (entries === undefined) this.layer.entries.set(key, { version, value });
    else if (Array.isArray(entries)) entries.push({ version, value });
    else this.layer.entries.set(key, [entries, { version, value }]);
  }
}

function visible(entries: Entries, version: number): unknown {
  if (!Array.isArray(entries)) return entries.version <= version ? entries.value : MISSING;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.version <= version) return entry.value;
  }
  return MISSING;
}
