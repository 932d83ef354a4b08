import { maskSecrets, maskUrl } from '../../../../src/core/errors/secret-mask';

describe('maskUrl', () => {
  it.each([
    ['postgres://spine:p@ss:w0rd@db.internal:5432/runs', 'postgres://spine:***@db.internal:5432/runs', ['p@ss', 'w0rd', 'ss:w0rd']],
    ['mysql://spine:secret@db/runs', 'mysql://spine:***@db/runs', ['secret']],
    ['mysql://spine:pa/ss?x@db:3306/runs', 'mysql://spine:***@db:3306/runs', ['pa/ss']],
    ['mysql://spine@db/runs?password=hunter2&ssl=true', 'mysql://spine@db/runs?password=***&ssl=true', ['hunter2']],
    ['mysql://db/runs?user=spine&pass=hunter2&PWD=x2&token=t0k&charset=utf8mb4', 'mysql://db/runs?user=spine&pass=***&PWD=***&token=***&charset=utf8mb4', ['hunter2', 'x2', 't0k']],
    ['mysql://db/runs?pass%77ord=hunter2#frag', 'mysql://db/runs?pass%77ord=***#frag', ['hunter2']],
    ['mysql://:onlypassword@db/runs', 'mysql://:***@db/runs', ['onlypassword']],
  ])('masks %s', (url, masked, secrets) => {
    expect(maskUrl(url)).toBe(masked);
    for (const secret of secrets) expect(maskUrl(url)).not.toContain(secret);
  });

  it('leaves a URL without secrets and a non-URL as they are', () => {
    expect(maskUrl('mysql://db.internal:3306/runs?charset=utf8mb4')).toBe('mysql://db.internal:3306/runs?charset=utf8mb4');
    expect(maskUrl('sqlite:.spine/spine.db')).toBe('sqlite:.spine/spine.db');
  });
});

describe('maskSecrets', () => {
  it('masks every URL inside a message and leaves the rest', () => {
    const text = 'could not connect to "postgres://a:b@c@h/db" nor mysql://u:v@w/x?pwd=z; giving up';
    expect(maskSecrets(text)).toBe('could not connect to "postgres://a:***@h/db" nor mysql://u:***@w/x?pwd=*** giving up');
  });
});
