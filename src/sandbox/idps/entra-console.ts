import { unhandled, type IdpAction } from '../../idps/actions.js';
import type { SandboxEntraService } from '../entra/service.js';
import { IdpConsoleRefusal } from './simulation.js';

/**
 * A person at the Entra admin center's provisioning page of the Zscaler app: the same effects as the
 * Graph calls behind it. Used by the Entra simulation (a person rehearsing by hand) and by `manual`.
 */
export async function operateEntraConsole(entra: SandboxEntraService, action: IdpAction): Promise<void> {
  switch (action.action) {
    case 'idp.setCredentials':
      entra.console.saveCredentials(action.baseUrl, action.token);
      return;
    case 'idp.start':
      entra.console.start();
      return;
    case 'idp.pause':
      await entra.console.pause();
      return;
    case 'idp.provisionUsers':
      throw new IdpConsoleRefusal('the simulated Entra console has no "provision these users" action: assigned users are pushed by the next cycle');
    default:
      return unhandled(action);
  }
}
