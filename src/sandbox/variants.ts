/**
 * Named sandbox variants: one per vendor fact that public sources leave open (docs/vendor-facts.md,
 * "## Variants"), each with the readings the sandbox can simulate. `startSandbox({ variants })`,
 * `migrate sandbox --variant` and `migrate demo --variant` take the same text:
 *
 *   name=reading[,name=reading…]      e.g.  scim-page-cap=100,secrets-get=refused
 *
 * or an object `{ 'scim-page-cap': '100' }`. An unknown name or reading is refused with the list of
 * valid ones. The first reading listed is the sandbox's default.
 */

/** What a variant sets; startSandbox maps it onto the simulations. */
export interface VariantSettings {
  adOrgAuthType?: string;
  authSettingsPut?: 'full' | 'partial';
  scimPageCap?: number;
  scimPatchDialect?: 'entra' | 'rfc';
  betaSecretsRead?: 'masked' | 'absent' | 'refused';
  syncAllPolarity?: 'documented' | 'inverse';
  scimNeedsActiveFlag?: boolean;
  idpEditPending?: boolean;
  groupPatchStatus?: 200 | 204;
  scimPostAdoptsSynced?: boolean;
  /** Entra simulation: how the Zscaler app maps userName (an administrator's choice the forecast must read). */
  entraUserMapping?: 'upn' | 'mail' | 'suffix-rewrite' | 'expression';
  /** What ZIA SCIM does with a group (and a department value) named like a directory-synced one (issue 17, part 1b). */
  scimGroupAdoption?: 'by-name' | 'new-group';
  /** ZPA simulation (startZpaSimulation): what the ZPA SCIM service does with `filter`. */
  zpaScimFilter?: 'supported' | 'ignored' | 'refused';
}

export interface VariantDefinition {
  name: string;
  /** The unconfirmed fact, in a sentence. */
  fact: string;
  /** The readings the flow suite runs (the first is the default); `ad-org-auth-type` also takes other values. */
  readings: readonly string[];
  /** A reading outside `readings` is accepted when this returns true (free-form values). */
  acceptsOther?: (value: string) => true | string;
  /**
   * The product whose simulation reads it; absent: ZIA (the flow suite runs those). 'entra': the
   * Entra simulation's attribute mapping, run by the adoption-forecast suite (test/flows/forecast.test.ts).
   */
  product?: 'zpa' | 'entra';
  apply(value: string, into: VariantSettings): void;
}

const HOSTED_DB_TYPES = new Set(['SAFECHANNEL_DIR', 'SMAUTH_ENTERPRISE_HOSTED']);

export const VARIANTS: readonly VariantDefinition[] = [
  {
    name: 'ad-org-auth-type',
    fact: 'the orgAuthType an Active Directory tenant reports in GET /authSettings',
    // MICROSOFT_ACTIVE_DIR: Zscaler's Ansible module; AD_USER: preflight's other known value; ACTIVE_DIRECTORY: one the tool does not know.
    readings: ['MICROSOFT_ACTIVE_DIR', 'AD_USER', 'ACTIVE_DIRECTORY'],
    acceptsOther: (v) =>
      !/^[A-Z][A-Z0-9_]*$/.test(v)
        ? 'an orgAuthType is an upper-case enum name such as MICROSOFT_ACTIVE_DIR'
        : HOSTED_DB_TYPES.has(v)
          ? `${v} is a Hosted DB value, not an Active Directory one (switch the repository type through the portal action instead)`
          : true,
    apply: (v, o) => {
      o.adOrgAuthType = v;
    },
  },
  {
    name: 'authsettings-put',
    fact: 'whether PUT /authSettings accepts a partial body',
    readings: ['full', 'partial'],
    apply: (v, o) => {
      o.authSettingsPut = v as 'full' | 'partial';
    },
  },
  {
    name: 'scim-page-cap',
    fact: 'the most resources ZIA SCIM returns per page',
    readings: ['1000', '100'],
    apply: (v, o) => {
      o.scimPageCap = Number(v);
    },
  },
  {
    name: 'scim-patch-dialect',
    fact: 'whether ZIA SCIM accepts Entra\'s default PATCH dialect (capitalised ops, "True"/"False" strings) or only RFC 7644\'s',
    readings: ['entra', 'rfc'],
    apply: (v, o) => {
      o.scimPatchDialect = v as 'entra' | 'rfc';
    },
  },
  {
    name: 'secrets-get',
    fact: 'how the beta GET of the synchronization secrets answers (values masked, absent, or the read refused)',
    readings: ['masked', 'absent', 'refused'],
    apply: (v, o) => {
      o.betaSecretsRead = v as 'masked' | 'absent' | 'refused';
    },
  },
  {
    name: 'syncall-polarity',
    fact: 'the polarity of the SyncAll secret ("false" = assigned users only, as documented, or the inverse)',
    readings: ['documented', 'inverse'],
    apply: (v, o) => {
      o.syncAllPolarity = v as 'documented' | 'inverse';
    },
  },
  {
    name: 'activation-before-idp-edit',
    fact: 'whether Edit IdP offers Enable SCIM Provisioning only once the migration flag is activated',
    readings: ['required', 'not-required'],
    apply: (v, o) => {
      o.scimNeedsActiveFlag = v === 'required';
    },
  },
  {
    name: 'idp-edit-pending',
    fact: 'whether an Edit IdP save stays pending until activation (the SCIM token works only once activated)',
    readings: ['no', 'yes'],
    apply: (v, o) => {
      o.idpEditPending = v === 'yes';
    },
  },
  {
    name: 'group-patch-status',
    fact: 'the status of a successful SCIM group PATCH: 204 No Content or 200 with the group',
    readings: ['204', '200'],
    apply: (v, o) => {
      o.groupPatchStatus = Number(v) as 200 | 204;
    },
  },
  {
    name: 'scim-post-adopts-synced',
    fact: 'whether a SCIM POST of a directory-synced userName takes that user over (instead of 409)',
    readings: ['no', 'yes'],
    apply: (v, o) => {
      o.scimPostAdoptsSynced = v === 'yes';
    },
  },
  {
    name: 'entra-user-mapping',
    fact: "how the Zscaler app's user rule maps userName: from the UPN (the gallery default), from mail, a Replace of the UPN suffix, or an expression (ToLower, Join, Replace; externalId by Append)",
    readings: ['upn', 'mail', 'suffix-rewrite', 'expression'],
    product: 'entra',
    apply: (v, o) => {
      o.entraUserMapping = v as 'upn' | 'mail' | 'suffix-rewrite' | 'expression';
    },
  },
  {
    name: 'zia-scim-group-adoption',
    fact: 'whether a SCIM group (or department value) named like a directory-synced group (department) takes it over, same id, or is created beside it',
    readings: ['by-name', 'new-group'],
    apply: (v, o) => {
      o.scimGroupAdoption = v as 'by-name' | 'new-group';
    },
  },
  {
    name: 'zpa-scim-filter',
    fact: 'whether the ZPA SCIM service honours `filter` on /Users and /Groups (supported, ignored, or refused with 400); ZPA simulation only',
    readings: ['supported', 'ignored', 'refused'],
    product: 'zpa',
    apply: (v, o) => {
      o.zpaScimFilter = v as 'supported' | 'ignored' | 'refused';
    },
  },
];

export class VariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VariantError';
  }
}

function describeAll(): string {
  return VARIANTS.map((v) => `${v.name}=${v.readings.join('|')}${v.acceptsOther ? '|…' : ''}`).join(', ');
}

/** `name=reading,…` or an object of them → the chosen readings, validated (VariantError otherwise). */
export function parseVariants(spec: string | Record<string, string> | undefined): Map<string, string> {
  const chosen = new Map<string, string>();
  if (spec === undefined) return chosen;
  const pairs: [string, string][] =
    typeof spec === 'string'
      ? spec
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
          .map((p) => {
            const eq = p.indexOf('=');
            if (eq <= 0) throw new VariantError(`variant "${p}" is not name=reading; valid: ${describeAll()}`);
            return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()];
          })
      : Object.entries(spec).map(([k, v]) => [k, String(v)]);
  for (const [name, value] of pairs) {
    const def = VARIANTS.find((v) => v.name === name);
    if (!def) throw new VariantError(`unknown variant "${name}"; valid variants: ${describeAll()}`);
    if (chosen.has(name)) throw new VariantError(`variant "${name}" is given twice`);
    if (!def.readings.includes(value)) {
      const other = def.acceptsOther?.(value);
      if (other !== true) {
        throw new VariantError(
          `variant ${name} has no reading "${value}"${typeof other === 'string' ? ` (${other})` : ''}; valid: ${def.readings.join(', ')}${def.acceptsOther ? ', or another value' : ''}`,
        );
      }
    }
    chosen.set(name, value);
  }
  return chosen;
}

/** The settings the chosen readings make (nothing for a variant left at its default). */
export function variantSettings(spec: string | Record<string, string> | undefined): VariantSettings {
  const out: VariantSettings = {};
  for (const [name, value] of parseVariants(spec)) VARIANTS.find((v) => v.name === name)!.apply(value, out);
  return out;
}

/** Every variant of a product (default ZIA) with every reading the flow suite runs: [name, reading][]. */
export function allReadings(product: 'zia' | 'zpa' | 'entra' = 'zia'): Array<[string, string]> {
  return VARIANTS.filter((v) => (v.product ?? 'zia') === product).flatMap((v) => v.readings.map((r) => [v.name, r] as [string, string]));
}
