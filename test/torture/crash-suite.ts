import { LONG, SEED } from './support.js';
import { crashAt, crashPoints, describeTrigger, reference, type FlowName, type PointResult, type Product, type Reference } from './crash-harness.js';

/**
 * Issue 13, crashes: the built CLI's `flow` run SIGKILLed at every step boundary, after every write
 * and at seeded random moments (long variant; a handful in `npm test`), then resumed until exit 0:
 * the same end state as an uninterrupted run, nothing twice, the checkpoint parses, no lock left.
 * Replay: TORTURE_SEED=<seed> (printed below), TORTURE_ONLY=<part of a point's label>. Both products: ZIA,
 * and ZPA (issue 15), whose forward run stops at the soak gate (exit 3) and is run again once the sandbox's
 * ZPA clock has moved past the soak. One test file per flow, so Jest runs the two in parallel.
 */
export function crashSuite(flow: FlowName): void {
  describe.each<Product>(['zia', 'zpa'])(`torture (%s): SIGKILL during ${flow} (${LONG ? 'long' : 'short'} variant, seed ${SEED})`, (product) => {
    let ref: Reference;
    beforeAll(async () => {
      ref = await reference(flow, product);
    }, 300_000);

    it(
      'resumes to the uninterrupted end state from every crash point',
      async () => {
        const points = crashPoints(ref, { long: LONG, seed: SEED, atLeast: 55 });
        const only = process.env.TORTURE_ONLY;
        const results: PointResult[] = [];
        for (const p of points) {
          if (only && !`${flow} ${describeTrigger(p)}`.includes(only)) continue;
          results.push(await crashAt(flow, p, ref, product));
        }
        const failed = results.filter((r) => r.problems.length > 0);
        const reached = results.filter((r) => r.reached).length;
        process.stdout.write(
          `torture crash ${product} ${flow}: ${results.length} crash points tried (${reached} killed mid-run, the rest finished first), ` +
            `${results.length - failed.length} passed; reference: ${ref.serials} state writes, ${ref.writes} API writes, ${ref.durationMs} ms; ` +
            `seed ${SEED} (replay: TORTURE_SEED=${SEED})\n`,
        );
        expect(failed.map((f) => `${f.label} [seed ${SEED}]:\n${f.problems.join('\n')}`)).toEqual([]);
        if (LONG) expect(results.length).toBeGreaterThanOrEqual(50);
      },
      LONG ? 3_600_000 : 300_000,
    );
  });
}
