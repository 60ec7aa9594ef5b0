import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HEAP_MODULE = new URL('../../dist/engine/heap.js', import.meta.url).href;
const MAIN_MODULE = new URL('../../dist/cli/main.js', import.meta.url).href;

/**
 * Whether the policy saves memory is a measurement: bench/heap-policy.mjs prints it with its
 * target. Here, cheaply: V8 accepts the flag the policy sets (a misspelt flag is only reported
 * as "unrecognized flag" on the output, never thrown), and the CLI sets it at start-up.
 */
describe('the heap policy (the CLI limits growth at start-up)', () => {
  it('V8 on this Node knows the flag the policy sets', async () => {
    const { stdout: options } = await run(process.execPath, ['--v8-options']);
    expect(options).toContain('--heap-growing-percent');
    const script = `const h = await import(${JSON.stringify(HEAP_MODULE)}); h.limitHeapGrowth(); h.defaultHeapGrowth(); console.log('set');`;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(stdout + stderr).not.toMatch(/unrecognized flag|Error/i);
    expect(stdout.trim()).toBe('set');
  });

  it('the CLI applies it before any command runs', async () => {
    const script = `
      const heap = await import(${JSON.stringify(HEAP_MODULE)});
      const before = heap.heapGrowingPercent() ?? null;
      const { main } = await import(${JSON.stringify(MAIN_MODULE)});
      await main(['node', 'migrate', '--version']);
      console.error(JSON.stringify({ before, after: heap.heapGrowingPercent(), policy: heap.HEAP_GROWING_PERCENT }));`;
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const r = JSON.parse(stderr.trim().split('\n').pop()!) as { before: number | null; after: number; policy: number };
    expect(r.before).toBeNull();
    expect(r.after).toBe(r.policy);
    expect(r.policy).toBeGreaterThan(0);
  });
});
