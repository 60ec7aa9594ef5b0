/** Public surface of the parity engine: normalisers, the diff, thresholds and report writers. */
export * from './inputs.js';
export * from './identity.js';
export { firstRdnValue } from './dn.js';
export * from './report-schema.js';
export { computeParity, ParitySourceError } from './engine.js';
export * from './thresholds.js';
export { renderSummary } from './report/summary.js';
export { toMarkdown } from './report/markdown.js';
export { toHtml } from './report/html.js';
export { toJUnit } from './report/junit.js';
export { toJson } from './report/json.js';
export { writeReportDir } from './report/write.js';
export { csvField } from './report/escape.js';
