import { crashSuite } from './crash-suite.js';

// The forward run (ad-to-scim) killed at every crash point and resumed: crash-suite.ts.
crashSuite('forward');
