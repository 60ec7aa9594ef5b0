// The sandbox's directory generator: 100k users, timed against its 2 s target (a figure, not a test).
// Run after `npm run build`: node bench/seed.mjs
import { generateDirectory } from '../dist/sandbox/index.js';

const TARGET_MS = 2000;
const t = Date.now();
const d = generateDirectory({ users: 100_000, seed: 9 });
const ms = Date.now() - t;
console.log(`seed: ${d.users.length} users in ${ms} ms (target < ${TARGET_MS} ms) ${ms < TARGET_MS ? 'ok' : 'OVER TARGET'}`);
