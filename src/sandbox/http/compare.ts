import { timingSafeEqual } from 'node:crypto';

/** Compares a presented credential with the expected one in constant time (every simulated service). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
