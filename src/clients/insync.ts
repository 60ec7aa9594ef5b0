import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type HttpTuning } from './http.js';
import { createTokenSource } from './oauth.js';

/**
 * Druva inSync Cloud API client, read-only by construction: users, profiles, storages,
 * devices with their backup bytes, last successful backups and events. Facts and their
 * sources: docs/vendor-facts.md, "Druva inSync" (D1…).
 *
 * - Token: OAuth 2.0 client credentials at `<host>/token`, the client id and secret key as HTTP
 *   Basic (D2); it lives 30 minutes and cannot be extended (D3). An expired token is answered
 *   with 403 by the FAQ's account and 401 by the API reference's (D4), so either one makes the
 *   client fetch a new token and send the call again, once per call.
 * - Paging: `nextPageToken` of a response goes back as `pageToken`; empty on the last page; no
 *   page size; at most 4,097 records a response (D5).
 * - Errors: `{code, message, retryable, data}`; `retryable` decides whether a call is sent again
 *   (D6). No rate limits are published; a 429 with Retry-After is honoured by the HTTP layer (D7).
 *
 * Deliberately absent: every write. In particular `DELETE /usermanagement/v1/users/{id}`
 * removes all of the user's restore points and devices (D8): no function here can send it,
 * and test/clients/insync.test.ts scans this file to keep it so.
 */

// ---------------------------------------------------------------------------------------
// Shapes (D10). IDs are int64 in the reference; some clients store them as strings, so a
// string of digits is accepted and read as a number.

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'a string of digits').transform(Number)]);
const bytes = z.union([z.number().nonnegative(), z.string().regex(/^\d+$/, 'a string of digits').transform(Number)]);
const time = z
  .string()
  .nullish()
  .transform((v) => (v ? v : undefined));

export const InsyncUserSchema = z
  .object({
    userID: id,
    userName: z.string(),
    emailID: z.string(),
    /** `active` or `preserved` (D10); kept as given so an unknown value is reported, not refused. */
    status: z.string().min(1),
    profileID: id,
    storageID: id.nullish().transform((v) => v ?? undefined),
    cacheID: id.nullish().transform((v) => v ?? undefined),
    quotaInBytes: bytes.nullish().transform((v) => v ?? undefined),
    addedOn: time,
    // The reference types it boolean; it is the hex objectGUID/entryUUID of a directory user (D11).
    ldapGUID: z
      .union([z.string(), z.boolean(), z.null()])
      .optional()
      .transform((v) => (typeof v === 'string' && v !== '' ? v : undefined)),
  })
  .passthrough();
export type InsyncUser = z.output<typeof InsyncUserSchema>;

export const InsyncProfileSchema = z.object({ profileID: id, profileName: z.string(), profileDescription: z.string().nullish() }).passthrough();
export type InsyncProfile = z.output<typeof InsyncProfileSchema>;

/** The reference spells the id `StorageID` (capital S) in Storage (D12); both spellings are read. */
export const InsyncStorageSchema = z
  .object({ StorageID: id.optional(), storageID: id.optional(), storageName: z.string().nullish() })
  .passthrough()
  .refine((s) => s.StorageID !== undefined || s.storageID !== undefined, { message: 'a storage has no StorageID (or storageID)' })
  .transform(({ StorageID, storageID, ...rest }) => ({ ...rest, storageID: (storageID ?? StorageID) as number }));
export type InsyncStorage = z.output<typeof InsyncStorageSchema>;

export const InsyncDeviceSchema = z
  .object({
    deviceID: id,
    deviceName: z.string(),
    userID: id,
    deviceStatus: z.string().nullish(),
    totalBackupData: z.string().nullish(),
    totalBackupDataInBytes: bytes,
    addedOn: time,
    lastConnected: time,
    deviceMarkedInactive: z.boolean().nullish(),
    disabledMode: z.string().nullish(),
    disabledOn: time,
  })
  .passthrough();
export type InsyncDevice = z.output<typeof InsyncDeviceSchema>;

export const InsyncBackupSchema = z
  .object({
    deviceID: id,
    backupStatus: z.string().nullish(),
    startTime: time,
    endTime: z.string().min(1),
    bytesTransferred: bytes.nullish(),
    filesBackedUp: z.number().nullish(),
    filesMissed: z.number().nullish(),
  })
  .passthrough();
export type InsyncBackup = z.output<typeof InsyncBackupSchema>;

export const InsyncEventSchema = z
  .object({
    eventID: id,
    eventType: z.string().nullish(),
    eventState: z.string().nullish(),
    timeStamp: time,
    inSyncUserID: id.nullish(),
    inSyncUserEmail: z.string().nullish(),
    inSyncDataSourceID: id.nullish(),
    initiator: z.string().nullish(),
    eventDetails: z.string().nullish(),
  })
  .passthrough();
export type InsyncEvent = z.output<typeof InsyncEventSchema>;

/** A list response: `{totalSize, nextPageToken, <key>: [...]}` (D5). */
function pageSchema(key: string, item: z.ZodType): z.ZodType<Record<string, unknown>> {
  return z.object({ totalSize: z.number().nullish(), nextPageToken: z.string().nullish(), [key]: z.array(item).nullish() }).passthrough();
}

const EventListSchema = z
  .object({ tracker: z.string().nullish(), nextPageExists: z.boolean().nullish(), events: z.array(InsyncEventSchema).nullish() })
  .passthrough();

/** Druva's error body (D6). */
const ErrorBodySchema = z.object({ code: z.string().optional(), message: z.string().optional(), retryable: z.boolean().optional() }).passthrough();

/** The `retryable` flag of an inSync error body, or undefined when the body has none. */
export function insyncRetryable(body: unknown): boolean | undefined {
  const parsed = ErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.retryable : undefined;
}

// ---------------------------------------------------------------------------------------
// The client

export interface InsyncClientOptions {
  /** https://apis.druva.com/insync (GovCloud: https://govcloudapis.druva.com/insync), D9. */
  apiUrl: string;
  /** https://apis.druva.com/token (GovCloud: https://govcloudapis.druva.com/token; its tokens live 15 minutes, D3). */
  tokenUrl: string;
  clientId: string;
  secretKey: string;
  readOnly?: boolean;
  audit?: AuditSink;
  tuning?: HttpTuning;
  /** Pages a list may take before the client calls the server's paging broken (default 100,000). */
  maxPages?: number;
}

export interface UserFilter {
  status?: 'active' | 'preserved';
  emailID?: string;
  profileID?: number;
  userIDs?: number[];
}

export interface InsyncClient {
  /** One page of users at a time, as the API returns them. */
  usersPages(filter?: UserFilter): AsyncGenerator<InsyncUser[]>;
  listUsers(filter?: UserFilter): Promise<InsyncUser[]>;
  getUser(userID: number): Promise<InsyncUser>;
  listProfiles(): Promise<InsyncProfile[]>;
  listStorages(): Promise<InsyncStorage[]>;
  /** Devices (v2), every page; `userIDs` narrows to those users. */
  devicesPages(opts?: { userIDs?: number[] }): AsyncGenerator<InsyncDevice[]>;
  listDevices(opts?: { userIDs?: number[] }): Promise<InsyncDevice[]>;
  /** Each device's last successful backup (`lastSuccessful=true`, the only value accepted, D13). */
  lastSuccessfulBackups(opts?: { userID?: number }): Promise<InsyncBackup[]>;
  /**
   * One call of the events API: at most 500 events and the tracker for the next call, valid
   * 48 hours (D14). Without a tracker the same first events come back.
   */
  events(tracker?: string): Promise<{ events: InsyncEvent[]; tracker: string | undefined; nextPageExists: boolean }>;
}

const USERS = '/usermanagement/v1/users';

export function createInsyncClient(opts: InsyncClientOptions): InsyncClient {
  const readOnly = opts.readOnly ?? false;
  const basic = Buffer.from(`${opts.clientId}:${opts.secretKey}`, 'utf8').toString('base64');
  const secrets = [opts.secretKey, basic];
  const http = createHttpClient({
    ...opts.tuning,
    system: 'insync',
    baseURL: opts.apiUrl,
    readOnly,
    audit: opts.audit,
    redact: secrets,
    retryableFromBody: insyncRetryable,
  });
  const tokenHttp = createHttpClient({ ...opts.tuning, system: 'login', baseURL: opts.tokenUrl, readOnly, audit: opts.audit, redact: secrets });
  // D2: Basic client id:secret key; Druva's own sample also sends scope=read, and no scope is enforced.
  const tokens = createTokenSource({
    http: tokenHttp,
    form: { grant_type: 'client_credentials', scope: 'read' },
    headers: { Authorization: `Basic ${basic}` },
    onToken: (t) => http.addSecret(t),
  });
  const maxPages = opts.maxPages ?? 100_000;

  /** A GET with the current token; an expired one (401 or 403, D4) is replaced once and the call sent again. */
  async function get<S extends z.ZodType>(path: string, schema: S, query?: Record<string, string | number | boolean | undefined>): Promise<z.output<S>> {
    const send = async () => http.get(path, schema, { ...(query ? { query } : {}), headers: { Authorization: `Bearer ${await tokens.get()}` } });
    try {
      return await send();
    } catch (err) {
      if (err instanceof ApiError && err.system === 'insync' && (err.status === 401 || err.status === 403)) {
        tokens.invalidate();
        try {
          return await send();
        } catch (again) {
          if (again instanceof ApiError && again.system === 'insync' && again.status === 403) {
            throw new ApiError({
              system: 'insync',
              method: 'GET',
              path: again.path,
              status: 403,
              code: again.code,
              vendorMessage: again.vendorMessage,
              attempts: again.attempts,
              hint: 'a new token was refused too, so this is a permission, not an expired token: the API credential needs a Druva Cloud or inSync Cloud administrator role, and its network restrictions must allow this machine (Druva Cloud Settings → API Credentials)',
            });
          }
          throw again;
        }
      }
      throw err;
    }
  }

  /**
   * Every page of a list: `nextPageToken` goes back as `pageToken` until it is empty (D5). A token
   * the server already gave would loop for ever, so it stops the read with an error instead.
   */
  async function* pages<T>(
    path: string,
    key: string,
    item: z.ZodType<T>,
    query: Record<string, string | number | boolean | undefined> = {},
  ): AsyncGenerator<T[]> {
    const schema = pageSchema(key, item);
    const seen = new Set<string>();
    let token: string | undefined;
    for (let n = 1; ; n++) {
      const body = await get(path, schema, token === undefined ? query : { ...query, pageToken: token });
      yield (body[key] as T[] | null | undefined) ?? [];
      const next = typeof body.nextPageToken === 'string' ? body.nextPageToken.trim() : '';
      if (next === '') return;
      if (seen.has(next) || n >= maxPages) {
        throw new UserError(
          `Druva inSync API GET ${path}: page ${n + 1} would repeat an earlier page (nextPageToken seen before, or more than ${maxPages} pages)`,
          {
            hint: 'the paging of this list did not end; rerun later, and report it to Druva support if it persists',
          },
        );
      }
      seen.add(next);
      token = next;
    }
  }

  async function all<T>(gen: AsyncGenerator<T[]>): Promise<T[]> {
    const out: T[] = [];
    for await (const p of gen) out.push(...p);
    return out;
  }

  const csv = (ids: number[] | undefined) => (ids && ids.length ? ids.join(',') : undefined);
  const userQuery = (f: UserFilter = {}) => ({ status: f.status, emailID: f.emailID, profileID: f.profileID, userIDs: csv(f.userIDs) });

  return {
    usersPages: (f) => pages(USERS, 'users', InsyncUserSchema, userQuery(f)),
    listUsers: (f) => all(pages(USERS, 'users', InsyncUserSchema, userQuery(f))),
    getUser: (userID) => get(`${USERS}/${encodeURIComponent(String(userID))}`, InsyncUserSchema),
    listProfiles: () => all(pages('/profilemanagement/v1/profiles', 'profiles', InsyncProfileSchema)),
    listStorages: () => all(pages('/storagemanagement/v1/storages', 'storages', InsyncStorageSchema)),
    devicesPages: (o = {}) => pages('/endpoints/v2/devices', 'devices', InsyncDeviceSchema, { userIDs: csv(o.userIDs) }),
    listDevices: (o = {}) => all(pages('/endpoints/v2/devices', 'devices', InsyncDeviceSchema, { userIDs: csv(o.userIDs) })),
    lastSuccessfulBackups: (o = {}) => all(pages('/endpoints/v1/backups', 'backups', InsyncBackupSchema, { lastSuccessful: 'true', userID: o.userID })),
    async events(tracker) {
      const body = await get('/eventmanagement/v2/events', EventListSchema, tracker === undefined ? {} : { tracker });
      const t = body.tracker ?? undefined;
      return { events: body.events ?? [], tracker: t === '' ? undefined : t, nextPageExists: body.nextPageExists ?? false };
    },
  };
}
