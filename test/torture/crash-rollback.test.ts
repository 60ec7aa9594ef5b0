import { crashSuite } from './crash-suite.js';

// The rollback killed at every crash point and resumed: crash-suite.ts.
crashSuite('rollback');
