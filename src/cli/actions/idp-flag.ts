import { UserError } from '../../engine/errors.js';
import type { IdpKind } from '../../idps/actions.js';
import { IDPS } from '../../idps/index.js';

/** `--idp <kind>` of `migrate demo` and `migrate sandbox`: a registered idp.kind (checked when the command runs, so --help stays light). */
export function idpFlag(value: string | undefined): IdpKind {
  if (value === undefined) return 'entra';
  const found = IDPS.find((m) => m.kind === value);
  if (!found) throw new UserError(`--idp must be one of ${IDPS.map((m) => m.kind).join(', ')}, got "${value.slice(0, 40)}"`);
  return found.kind;
}
