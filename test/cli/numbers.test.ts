import { runCli } from './cli.js';

describe('numeric flags (one parser for demo and sandbox)', () => {
  it('demo refuses a fractional --users by name, before starting anything', async () => {
    const r = await runCli(['demo', '--users', '1.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--users must be a whole number from 1 to 1000000, got "1.5"');
  });

  it('sandbox and demo word a bad --speed the same way', async () => {
    const demo = await runCli(['demo', '--speed', '0']);
    const sandbox = await runCli(['sandbox', '--speed', '0']);
    expect(demo.stderr).toContain('--speed must be a positive number, got "0"');
    expect(sandbox.stderr).toContain('--speed must be a positive number, got "0"');
  });
});
