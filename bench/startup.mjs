#!/usr/bin/env node
// CPU time of starting the CLI, against `node -e 0` in the same run, with the target (issue 18:
// `migrate --help`, `--version` and `migrate status` at most 2× a bare Node start).
//
//   npm run build && node bench/startup.mjs [repetitions=15]
//
// Each child reports its own resource usage (user + system CPU, the whole process from exec to
// exit) through a tiny preload that every command gets, node -e 0 included. The commands run
// round-robin, so a burst of load from elsewhere hits them all alike; the ratio is of medians.
// CPU time, not wall time: the machine is shared, and CPU time is what loading modules costs.
// Exits 0 whatever the figures: a bench reports, it does not gate.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const reps = Number(process.argv[2] ?? 15);
const TARGET = 2;
const bin = fileURLToPath(new URL('../bin/migrate', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'migrate-startup-'));
const report = join(dir, 'usage.json');
const preload = `data:text/javascript,${encodeURIComponent(
  "import { writeFileSync } from 'node:fs';" +
    "process.on('exit', () => { const u = process.resourceUsage();" +
    ' writeFileSync(process.env.STARTUP_BENCH_REPORT, JSON.stringify({ cpuUs: u.userCPUTime + u.systemCPUTime })); });',
)}`;

const commands = [
  ['node -e 0', ['-e', '0']],
  ['migrate --help', [bin, '--help']],
  ['migrate --version', [bin, '--version']],
  ['migrate status --state <missing>', [bin, 'status', '--state', join(dir, 'missing', 'state.json')]],
];

function cpuMs(args) {
  rmSync(report, { force: true });
  const r = spawnSync(process.execPath, ['--import', preload, ...args], {
    env: { ...process.env, STARTUP_BENCH_REPORT: report, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.error) throw r.error;
  return JSON.parse(readFileSync(report, 'utf8')).cpuUs / 1000;
}

const samples = commands.map(() => []);
cpuMs(commands[1][1]); // warm the file cache once
for (let i = 0; i < reps; i++) commands.forEach(([, args], c) => samples[c].push(cpuMs(args)));
rmSync(dir, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(samples[0]);
console.log(`CPU time (user+sys) per start, ${reps} runs each, round-robin; target: at most ${TARGET}× node -e 0`);
for (const [c, [label]] of commands.entries()) {
  const m = median(samples[c]);
  const ratio = m / base;
  const verdict = c === 0 ? '' : ratio <= TARGET ? 'OK' : 'OVER TARGET';
  console.log(
    `  ${label.padEnd(34)} median ${m.toFixed(0).padStart(4)} ms  (min ${Math.min(...samples[c]).toFixed(0)}, max ${Math.max(...samples[c]).toFixed(0)})  ${c === 0 ? '' : `${ratio.toFixed(2)}×  ${verdict}`}`,
  );
}
