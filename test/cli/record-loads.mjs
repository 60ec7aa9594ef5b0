// A module-loading hook (`node --import <this file>`): appends the URL of every module the
// process loads to the file named by MIGRATE_LOAD_LOG. test/cli/startup.test.ts uses it to see
// what `migrate --help` loads, without timing anything.
import { register } from 'node:module';

if (!process.env.MIGRATE_LOAD_LOG) throw new Error('record-loads.mjs needs MIGRATE_LOAD_LOG');
register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(process.env.MIGRATE_LOAD_LOG)}, url + '\\n');
  return next(url, context);
}`)}`,
);
