import type { SandboxDirectory } from '../world/directory.js';
import type { RepositoryType, ZiaTenant } from '../world/tenant.js';

/**
 * The ZIA admin-portal actions that have no public API (docs/vendor-facts.md F13: none found for
 * Sync Now, "no public APIs" for Edit IdP). The sandbox exposes them in-process and as JSON
 * endpoints under /portal so a scripted operator can "click" them. The contract is fixed.
 */
export interface PortalIdp {
  id: number;
  name: string;
  scimEnabled: boolean;
  samlAutoProvisioning: boolean;
  /** Edit IdP shows the Base URL while SCIM is enabled. */
  baseUrl?: string;
}

export interface Portal {
  idps(): PortalIdp[];
  syncNow(): { lastSyncStartTime: number; lastSyncEndTime: number };
  /** `{ baseUrl, bearerToken }` when enabling, `{}` when disabling. */
  setScim(idpId: number, enabled: boolean): { baseUrl?: string; bearerToken?: string };
  generateToken(idpId: number): { bearerToken: string };
  setSamlAutoProvisioning(idpId: number, enabled: boolean): Record<string, never>;
  setRepositoryType(type: RepositoryType): Record<string, never>;
}

export function createPortal(opts: {
  tenant: ZiaTenant;
  directory: () => SandboxDirectory;
  /** e.g. http://127.0.0.1:p/<orgId>/<idpId>/scim — the documented form with the sandbox host. */
  scimBaseUrl: (idpId: number) => string;
}): Portal {
  const { tenant } = opts;
  return {
    // Edit IdP shows the admin's saved edit, activated or not.
    idps: () =>
      [...tenant.idps.keys()]
        .map((id) => tenant.idpView(id))
        .map((i) => ({
          id: i.id,
          name: i.name,
          scimEnabled: i.scimEnabled,
          samlAutoProvisioning: i.samlAutoProvisioning,
          ...(i.scimEnabled ? { baseUrl: opts.scimBaseUrl(i.id) } : {}),
        })),
    syncNow: () => tenant.syncNow(opts.directory()),
    setScim: (idpId, enabled) => {
      const idp = tenant.setScimEnabled(idpId, enabled);
      if (!enabled) return {};
      return { baseUrl: opts.scimBaseUrl(idp.id), bearerToken: idp.bearerToken as string };
    },
    generateToken: (idpId) => ({ bearerToken: tenant.generateToken(idpId) }),
    setSamlAutoProvisioning: (idpId, enabled) => {
      tenant.setSamlAutoProvisioning(idpId, enabled);
      return {};
    },
    setRepositoryType: (type) => {
      tenant.setRepositoryType(type);
      return {};
    },
  };
}
