// Same public API as src/clients/ldap.ts, for callers that import the folder.
export * from '../ldap.js';
