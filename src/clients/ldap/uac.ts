/**
 * userAccountControl bits (Microsoft "UserAccountControl property flags"). Only ACCOUNTDISABLE
 * decides `disabled`; the rest are named for reports.
 */
export const UAC = {
  SCRIPT: 0x1,
  ACCOUNTDISABLE: 0x2,
  HOMEDIR_REQUIRED: 0x8,
  LOCKOUT: 0x10,
  PASSWD_NOTREQD: 0x20,
  PASSWD_CANT_CHANGE: 0x40,
  NORMAL_ACCOUNT: 0x200,
  INTERDOMAIN_TRUST_ACCOUNT: 0x800,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  SERVER_TRUST_ACCOUNT: 0x2000,
  DONT_EXPIRE_PASSWORD: 0x10000,
  SMARTCARD_REQUIRED: 0x40000,
  PASSWORD_EXPIRED: 0x800000,
} as const;

export type UacFlag = keyof typeof UAC;

/** True when the ACCOUNTDISABLE bit (0x2) is set. */
export function isDisabled(userAccountControl: number): boolean {
  return (userAccountControl & UAC.ACCOUNTDISABLE) !== 0;
}

/** The named flags set in a userAccountControl value, in bit order. */
export function uacFlags(userAccountControl: number): UacFlag[] {
  return (Object.keys(UAC) as UacFlag[]).filter((name) => (userAccountControl & UAC[name]) !== 0);
}

/** Parses the decimal string AD returns; AD may send values above 2^31 as unsigned or negative. */
export function parseUac(value: string): number {
  if (!/^-?\d{1,10}$/.test(value)) throw new Error(`userAccountControl "${value}" is not an integer`);
  return Number(value) >>> 0;
}
