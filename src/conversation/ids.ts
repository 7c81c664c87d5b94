import { createHash, randomUUID } from 'node:crypto';

/**
 * A UUIDv7: time-ordered, so ids chosen by the server sort roughly by creation. The random part
 * comes from randomUUID, which draws on a cached entropy pool (randomBytes per id is slower).
 */
export function uuidv7(now = Date.now()): string {
  const random = randomUUID();
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

const REPLY_NAMESPACE = Buffer.from('6f1d3c1e2b7a4c4e9a4f0d3b8e2c7a15', 'hex');

/**
 * The assistant id of a turn whose client chose only the user id: derived from it (UUIDv5), so
 * a retry of that turn names the same two messages and is recognised as a retry.
 */
export function replyIdFor(userMessageId: string): string {
  return uuidv5(REPLY_NAMESPACE, userMessageId.toLowerCase());
}

/** A name-based UUID (v5): the same namespace and name always give the same id. */
export function uuidv5(namespace: Buffer, name: string): string {
  const hash = createHash('sha1').update(namespace).update(name).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = 0x50 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  return format(bytes);
}

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A client-chosen id as stored: UUIDs compare in lower case. */
export function normalizeId(id: string | undefined): string | undefined {
  return id?.toLowerCase();
}
