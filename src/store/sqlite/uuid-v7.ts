import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in bulk: one call to the CSPRNG per 1,024 ids instead of one per id. */
const RANDOM_POOL_IDS = 1_024;
const randomPool = Buffer.alloc(RANDOM_POOL_IDS * 10);
let poolOffset = randomPool.length;

const bytes = Buffer.alloc(16);

/**
 * A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits.
 * Generated event ids use it, not v4, because the `events.id` UNIQUE index then grows at its
 * right edge: a 64-event commit dirties one or two index pages instead of ~64 random ones
 * (measured: 158 → 92 WAL frames per commit of 64 events to 64 streams).
 */
export const uuidV7 = (now: number = Date.now()): string => {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  randomPool.copy(bytes, 6, poolOffset, poolOffset + 10);
  poolOffset += 10;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
