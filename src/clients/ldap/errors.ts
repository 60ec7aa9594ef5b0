import { InvalidCredentialsError, ResultCodeError } from 'ldapts';
import { UserError } from '../../engine/errors.js';
import type { ConnectionPlan } from './options.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE']);

/** Node/OpenSSL codes for certificate verification and handshake failures. */
function isTlsError(err: { message: string }, code = ''): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/.test(code) || /certificate|self[- ]signed|ssl|tls/i.test(err.message);
}

/** AD appends "data 52e" etc. to invalidCredentials; these say why (Microsoft error codes). */
const AD_BIND_REASONS: Record<string, string> = {
  '525': 'no such user',
  '52e': 'wrong password',
  '530': 'logon not permitted at this time',
  '531': 'logon not permitted from this workstation',
  '532': 'password expired',
  '533': 'account disabled',
  '701': 'account expired',
  '773': 'password must be changed',
  '775': 'account locked out',
};

export type Operation = 'connect' | 'bind' | 'search' | 'starttls';

export interface ErrorContext {
  plan: Pick<ConnectionPlan, 'url' | 'bindDn' | 'caFile' | 'port' | 'transport' | 'timeLimitSeconds'>;
  operation: Operation;
  /** The password, only to scrub it from any server or library text we quote. */
  secret?: string;
  baseDn?: string;
}

function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}

/**
 * Turns an ldapts / socket / TLS error into a UserError that says what failed, where, and what to
 * do. The bind password never appears: messages are built from the URL, the bind DN and the
 * caFile path, and quoted library text is scrubbed.
 */
export function describeLdapError(err: unknown, ctx: ErrorContext): UserError {
  if (err instanceof UserError) return err;
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (Jest's VM
  // modules), where instanceof fails and the error code would be lost.
  const e: { name: string; message: string; code?: string | number } =
    typeof err === 'object' && err !== null
      ? {
          name: String((err as { name?: unknown }).name ?? 'Error'),
          message: String((err as { message?: unknown }).message ?? err),
          code: (err as { code?: string | number }).code,
        }
      : { name: 'Error', message: String(err) };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const { plan } = ctx;
  const detail = scrub(e.message, ctx.secret).replace(/\s+/g, ' ').trim();
  const mk = (message: string, hint: string): UserError => new UserError(scrub(message, ctx.secret), { hint: scrub(hint, ctx.secret), cause: err });

  if (err instanceof InvalidCredentialsError || (err instanceof ResultCodeError && err.code === 49)) {
    const data = /data ([0-9a-f]{3})/i.exec(e.message)?.[1]?.toLowerCase();
    const reason = data !== undefined ? AD_BIND_REASONS[data] : undefined;
    return mk(
      `bind refused for ${plan.bindDn}: wrong password or locked account${reason ? ` (server says: ${reason}, data ${data})` : ''}`,
      'check the password source (directory.passwordEnv / passwordFile) and that the account is enabled and not locked; the bind name may be a DN, user@domain or DOMAIN\\user',
    );
  }
  if (code !== undefined && NETWORK_CODES.has(code) && !(code === 'ECONNRESET' && plan.transport !== 'plain')) {
    return mk(
      `cannot reach the directory at ${plan.url} (${code} on ${ctx.operation})`,
      `check the host name and port (636 for ldaps://, 389 for ldap://; this URL uses ${plan.port}) and that no firewall blocks it`,
    );
  }
  if (e.message === 'Connection timeout') {
    return mk(
      `cannot reach the directory at ${plan.url}: no connection within the connect timeout`,
      `check the host name and port (636 for ldaps://, 389 for ldap://; this URL uses ${plan.port}) and that no firewall drops the traffic`,
    );
  }
  if (code === 'ECONNRESET' || isTlsError(e, code)) {
    const caText = plan.caFile ? `the CA in caFile ${plan.caFile}` : 'the system CA store (no caFile given)';
    return mk(
      `TLS with ${plan.url} failed during ${ctx.operation}: ${code ?? 'error'}: ${detail}; the server certificate was checked against ${caText}`,
      plan.caFile
        ? `make sure ${plan.caFile} is the CA that signed the DC certificate and that the certificate names the host in the URL (SAN); for ldap:// the server must support StartTLS`
        : 'set caFile to the PEM of the CA that signed the domain controller certificate, and make sure the certificate names the host in the URL',
    );
  }
  if (err instanceof ResultCodeError) {
    switch (err.code) {
      case 3:
        return mk(`search on ${plan.url} exceeded the time limit of ${plan.timeLimitSeconds} s`, 'raise directory.timeLimitSeconds (0 = no client limit)');
      case 4:
        return mk(
          `the directory at ${plan.url} stopped the search at its size limit: the result would be incomplete`,
          "the client pages results and sets no size limit; ask the AD administrator about MaxResultSetSize / the bind account's query policy",
        );
      case 8:
      case 13:
        return mk(`the directory at ${plan.url} requires an encrypted or signed connection (${detail})`, 'use ldaps:// or StartTLS (startTls: true)');
      case 32:
        return mk(`the base DN ${ctx.baseDn ?? ''} does not exist on ${plan.url} (${detail})`, 'check directory.baseDn and directory.groupDn');
      case 1:
        // Samba reports a server-side time limit as operationsError "ldb_wait ... LDB_WAIT_ALL" (docs/vendor-facts.md F41).
        if (/ldb_wait|time/i.test(e.message)) {
          return mk(
            `search on ${plan.url} failed, probably at the time limit of ${plan.timeLimitSeconds} s: ${detail}`,
            'raise directory.timeLimitSeconds (0 = no client limit)',
          );
        }
        break;
      default:
        break;
    }
    return mk(
      `LDAP ${ctx.operation} on ${plan.url} failed: ${e.name} (${err.code}): ${detail}`,
      'see the server message above; check the base DN, filter and bind account permissions',
    );
  }
  return mk(`LDAP ${ctx.operation} on ${plan.url} failed: ${code ? `${code}: ` : ''}${detail}`, 'check the URL, the network and the server logs');
}
