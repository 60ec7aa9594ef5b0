import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { computeParity, writeReportDir, type ParityReport } from '../../src/parity/index.js';
import { withVerdict } from '../../src/parity/thresholds.js';
import { pages, rec } from '../parity/helpers.js';

/**
 * The HTML parity report as an administrator sees it: opened in a real browser (Debian's
 * chromium, driven by playwright-core; nothing is downloaded). `.ci/run` installs chromium; the
 * screenshot it leaves at artifacts/report-browser.png is kept as a CI artifact.
 */
const CHROMIUM = process.env.MIGRATE_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const SCREENSHOT = resolve('artifacts', 'report-browser.png');

if (!available && process.env.CI === 'true') {
  // In CI the browser is part of the job: a missing one is a failure, not a skip.
  test('the browser test needs chromium', () => {
    throw new Error(`no browser at ${CHROMIUM}: .ci/run installs Debian's chromium (apt-get install chromium)`);
  });
}
const describeBrowser = available ? describe : describe.skip;
if (!available) console.warn(`report-browser: SKIPPED, no browser at ${CHROMIUM} (apt-get install chromium, or set MIGRATE_CHROMIUM)`);

/** A failing parity run with findings of several kinds, from several sources, and groups that differ. */
async function failingReport(): Promise<ParityReport> {
  const u = (n: string, extra: object = {}) => ({
    userName: `${n}@corp.test`,
    email: `${n}@corp.test`,
    displayName: n,
    active: true,
    groups: ['Finance'],
    ...extra,
  });
  const directory = ['ann', 'bob', 'cid', 'dan', 'eve', 'fay'].map((n) => rec('directory', u(n)));
  const zia = ['ann', 'bob', 'dan', 'eve', 'zed'].map((n) => rec('zia', u(n, n === 'bob' ? { displayName: 'Robert' } : {})));
  const scim = ['ann', 'bob', 'dan', 'eve', 'eve'].map((n) => rec('scim', u(n, n === 'dan' ? { active: false } : {})));
  const report = await computeParity({ directory: pages(directory), zia: pages(zia), scim: pages(scim) }, { key: 'userName', secondaryKey: 'email' });
  return withVerdict(
    report,
    { missing: 0, extra: 0, duplicates: 0, drift: 0 },
    {
      tool: { name: 'migrate', version: 'test' },
      tenant: { product: 'ZIA', cloud: 'zscalertwo.net', orgId: '1234', idp: 'entra', idpName: 'Entra ID' },
    },
  );
}

describeBrowser('the HTML parity report in a browser', () => {
  let browser: Browser;
  let server: Server;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrate-report-browser-'));
    await writeReportDir(await failingReport(), dir);
    const html = await readFile(join(dir, 'parity.html'));
    // Served over loopback HTTP so every request the page makes passes through the route below.
    server = createServer((req, res) => {
      if (req.url === '/parity.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the verdict and the charts at the top, and loads nothing from anywhere', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      // Only the report itself may load; anything else would be an external asset.
      return route.request().url() === `${base}/parity.html` ? route.continue() : route.abort();
    });
    await page.goto(`${base}/parity.html`);

    const verdict = page.locator('#verdict');
    await expect(verdict.isVisible()).resolves.toBe(true);
    const headline = (await verdict.locator('h2').innerText()).trim();
    expect(headline).toMatch(/^FAIL: \d+ thresholds? breached$/);
    // Errors read as errors: the failing verdict's border is red (#b00020), not orange.
    expect(await page.evaluate('getComputedStyle(document.getElementById("verdict")).borderTopColor')).toBe('rgb(176, 0, 32)');
    // The verdict is on the first screen, above the fold.
    const box = (await verdict.boundingBox())!;
    expect(box.y + box.height).toBeLessThan(900);

    const charts = page.locator('svg.chart');
    expect(await charts.count()).toBe(2);
    for (const label of ['Findings by kind', 'Users missing and extra, by source']) {
      const chart = page.locator(`svg.chart[aria-label="${label}"]`);
      expect(await chart.isVisible()).toBe(true);
      const bars = chart.locator('rect');
      expect(await bars.count()).toBeGreaterThan(0);
      // At least one bar has a visible width: the chart draws the figures, not an empty frame.
      const widths = await bars.evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
      expect(Math.max(...widths)).toBeGreaterThan(1);
    }
    // A user missing from two stores is listed once, with both sources.
    expect(await page.getByText('cid@corp.test').count()).toBe(1);

    expect(requests).toEqual([`${base}/parity.html`]);
    await mkdir(resolve('artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  }, 60_000);
});
