import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const json = async (file: string) => JSON.parse(await readFile(join(ROOT, file), 'utf8'));

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return Promise.all(entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => readFile(join(e.parentPath, e.name), 'utf8')));
}

/** What the package declares is what the code uses, and the lock file says the same. */
describe('package.json', () => {
  it('every runtime dependency is imported by the product code', async () => {
    const pkg = await json('package.json');
    const code = (await sources('src')).join('\n');
    // import … from 'x', import('x'), require('x') or require.resolve('x') (ldapjs is loaded through createRequire).
    const used = (name: string) => new RegExp(`(from |import\\(|require\\(|resolve\\()'${name.replace('/', '\\/')}(/[^']*)?'`).test(code);
    const unused = Object.keys(pkg.dependencies).filter((name) => !used(name));
    expect(unused).toEqual([]);
  });

  it('ldapjs is pinned to the exact version the lock file installs (the sandbox patches its internals)', async () => {
    const pkg = await json('package.json');
    const lock = await json('package-lock.json');
    expect(pkg.dependencies.ldapjs).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lock.packages['node_modules/ldapjs'].version).toBe(pkg.dependencies.ldapjs);
    expect(pkg['//']).toMatch(/ldapjs is pinned exactly/);
  });

  it('the lock file records the same dependencies as package.json (npm ci would install what is declared)', async () => {
    const pkg = await json('package.json');
    const lock = await json('package-lock.json');
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(pkg.devDependencies);
    const installed = Object.keys(lock.packages).filter((p) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p));
    expect(installed).not.toContain('node_modules/bottleneck');
  });
});
