import { createHash } from 'node:crypto';
import { type Message } from '../../../src/conversation/message.js';

/** The fields a read model row holds, in one spelling: what the log says and what a row says compare equal. */
const FIELDS = [
  'id',
  'role',
  'kind',
  'status',
  'content',
  'imageUrls',
  'replyTo',
  'createdAt',
  'updatedAt',
  'createdBy',
  'revision',
] as const satisfies readonly (keyof Message)[];

type Field = (typeof FIELDS)[number];

function normalized(message: Message): Record<Field, unknown> {
  return {
    id: message.id.toLowerCase(),
    role: message.role,
    kind: message.kind,
    status: message.status,
    content: message.content,
    imageUrls: message.imageUrls,
    replyTo: message.replyTo?.toLowerCase() ?? null,
    createdAt: instant(message.createdAt),
    updatedAt: message.updatedAt === null ? null : instant(message.updatedAt),
    createdBy: message.createdBy,
    revision: message.revision,
  };
}

/** Timestamps are stored to the microsecond and read back to the millisecond. */
function instant(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/**
 * 48 bits of a SHA-256 of the message's fields: a number, which costs less memory than a string,
 * and a changed message goes unnoticed with a chance of one in 2^48.
 */
export function messageDigest(message: Message): number {
  const fields = normalized(message);
  return createHash('sha256')
    .update(JSON.stringify(FIELDS.map((field) => fields[field])))
    .digest()
    .readUIntBE(0, 6);
}

/** A digest per message, by project and sequence (the project id is stored once). */
export class MessageDigests {
  private readonly projects = new Map<string, Map<number, number>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(projectId: string, sequence: number, digest: number): void {
    let project = this.projects.get(projectId);
    if (!project) this.projects.set(projectId, (project = new Map()));
    if (!project.has(sequence)) this.count++;
    project.set(sequence, digest);
  }

  /** Removes and returns the digest, undefined when there is none. */
  take(projectId: string, sequence: number): number | undefined {
    const project = this.projects.get(projectId);
    const digest = project?.get(sequence);
    if (project && digest !== undefined) {
      project.delete(sequence);
      this.count--;
    }
    return digest;
  }

  *keys(): Generator<{ projectId: string; sequence: number }> {
    for (const [projectId, sequences] of this.projects) {
      for (const sequence of sequences.keys()) yield { projectId, sequence };
    }
  }
}

/** The fields that differ between two versions of one message. */
export function fieldDifferences(
  expected: Message,
  actual: Message,
): { field: Field; expected: unknown; actual: unknown }[] {
  const a = normalized(expected);
  const b = normalized(actual);
  return FIELDS.filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field])).map((field) => ({
    field,
    expected: a[field],
    actual: b[field],
  }));
}
