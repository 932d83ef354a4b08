import { dialectOf, insertIgnoreTail, postgresText } from '../../../src/persistence/dialect';

describe('the SQL dialects', () => {
  it("rewrites '?' placeholders to $n for PostgreSQL, leaving quoted literals and names alone", () => {
    expect(postgresText('SELECT * FROM t WHERE a = ? AND b IN (?, ?) AND c = \'?\' AND "d?" = ?')).toBe('SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) AND c = \'?\' AND "d?" = $4');
    // a doubled quote inside a literal keeps it a literal
    expect(postgresText("SELECT 'it''s ?' AS x, ? AS y")).toBe("SELECT 'it''s ?' AS x, $1 AS y");
  });

  it("sends the store's UTC datetimes to PostgreSQL with their zone, and every other value as it is", () => {
    const [, values] = dialectOf('postgres').forDriver('SELECT ?, ?, ?, ?', ['2026-12-07 10:11:12.345', '2026-12-07', 'run-1', 42]);
    expect(values).toEqual(['2026-12-07 10:11:12.345Z', '2026-12-07', 'run-1', 42]);
    expect(dialectOf('mysql').forDriver('SELECT ?', ['2026-12-07 10:11:12.345'])).toEqual(['SELECT ?', ['2026-12-07 10:11:12.345']]);
  });

  it('skips existing keys the way each family can', () => {
    expect(['sqlite', 'mysql', 'postgres'].map((family) => [dialectOf(family as 'sqlite').insertIgnore[0], insertIgnoreTail(dialectOf(family as 'sqlite'), 'name')])).toEqual([
      ['INSERT OR IGNORE', ''],
      ['INSERT', ' ON DUPLICATE KEY UPDATE name = name'],
      ['INSERT', ' ON CONFLICT DO NOTHING'],
    ]);
  });
});
