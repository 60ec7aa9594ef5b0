import { PassThrough } from 'node:stream';
import { createOutput } from '../../src/ui/output.js';
import { createReadProgress } from '../../src/ui/progress.js';

/** A stderr that records what is written; `isTTY` decides whether it passes for a terminal. */
function stderr(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('read progress (verify reads three sources at once)', () => {
  it('on a terminal: one line per source with its count and rate', async () => {
    const err = stderr(true);
    const progress = createReadProgress(createOutput({ stderr: err.stream }), ['AD', 'ZIA', 'SCIM']);
    await new Promise((r) => setTimeout(r, 50));
    progress.update('AD', 12_500);
    progress.update('SCIM', 1_000);
    progress.stop();
    await new Promise((r) => setImmediate(r));
    const shown = err.text();
    expect(shown).toMatch(/AD {3}12,500 users · [\d,]+\/s/);
    expect(shown).toMatch(/ZIA {2}0 users · 0\/s/);
    expect(shown).toMatch(/SCIM 1,000 users · [\d,]+\/s/);
  });

  it('off a terminal (CI, a pipe) and with --quiet: nothing at all', () => {
    for (const out of [createOutput({ stderr: stderr(false).stream }), createOutput({ stderr: stderr(true).stream, quiet: true })]) {
      const err = out.stderr as PassThrough;
      let written = '';
      err.on('data', (d: Buffer) => (written += d.toString()));
      const progress = createReadProgress(out, ['AD', 'ZIA']);
      progress.update('AD', 10);
      progress.stop();
      expect(written).toBe('');
    }
  });
});
