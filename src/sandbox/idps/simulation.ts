import type { IdpAction, IdpKind } from '../../idps/actions.js';
import type { SandboxEntraService } from '../entra/service.js';
import type { FaultInjector } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import type { SandboxDirectory } from '../world/directory.js';
import type { ZiaTenant } from '../world/tenant.js';

/**
 * An IdP's simulation in the sandbox: what `startSandbox({ idp })` starts for the configured IdP,
 * registered with one line in src/sandbox/idps/index.ts. It serves the IdP's API (if it has one)
 * on 127.0.0.1, contributes the `idp` section of the sandbox's configuration, and plays the
 * administrator at the IdP's console for the scripted operator (its operator steps).
 */
export interface IdpSimulationModule {
  kind: IdpKind;
  start(host: IdpSimulationHost): Promise<IdpSimulation>;
}

/** What the sandbox gives a simulation: the shared world and the sandbox's HTTP plumbing. */
export interface IdpSimulationHost {
  tenant: ZiaTenant;
  directory: SandboxDirectory;
  /**
   * The simulated Entra tenant, always running: its assignments are the in-scope users, and its
   * provisioning engine pushes SCIM with Entra's request pattern. `console` drives it as a person would.
   */
  entra: SandboxEntraService;
  /** The ZIA IdP the migration enables SCIM on (its SCIM Base URL is `scimBaseUrl(zia.idpId)`). */
  zia: { orgId: string; idpName: string; idpId: number };
  scimBaseUrl(idpId: number): string;
  /** Divide simulated waits by this, multiply allowed rates (the sandbox's `speed`). */
  speed: number;
  /** Enforce the vendor's documented rate limits (× speed). */
  rateLimits: boolean;
  /** The sandbox's fault rules: pass to startService({ faults }) with this IdP's system name. */
  faults: FaultInjector;
  /** Record every request here (startService({ log })), so stats() and mutations count this IdP too. */
  log: RequestLog;
  seed: number;
  /** Port for this IdP's API server: 0 (any free port) or the sandbox's base port + 4. */
  port: number;
  /** The product the sandbox's configuration migrates (zpa when started with the ZPA simulation): an IdP may provision it through another app. */
  product?: 'zia' | 'zpa';
}

/** Turns a secret into a configuration reference: `{ <field>Env: … }` for config(), `{ <field>File: … }` for writeConfig(). */
export type SecretReference = (field: string, value: string, names: { env: string; file: string }) => Record<string, string>;

export interface IdpSimulation {
  kind: IdpKind;
  /** The `idp` section of the sandbox's configuration; every secret goes through `secret`. */
  configSection(secret: SecretReference): Record<string, unknown>;
  /** Endpoints `migrate sandbox` prints, e.g. { 'Okta API': 'http://127.0.0.1:…' }. */
  endpoints: Record<string, string>;
  /**
   * The administrator at this IdP's console, for the scripted operator's `idp.*` actions (POST
   * /portal/idp-console). Switch on `action.action` with `default: return unhandled(action)`; throw
   * IdpConsoleRefusal for an action this IdP's console does not offer (the portal answers 400).
   */
  operate(action: IdpAction): Promise<void>;
  stop(): Promise<void>;
}

/** A console action the simulated IdP refuses (answered 400 with this message). */
export class IdpConsoleRefusal extends Error {}
