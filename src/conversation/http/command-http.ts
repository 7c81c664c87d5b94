import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../../auth/principal.js';
import { preconditionFrom, toETag } from '../../http/etag.js';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { uuidv7 } from '../ids.js';
import { type Message } from '../message.js';

/** What every command route reads from its request's headers. */
export interface CommandHeaders {
  'if-match'?: string;
  'if-none-match'?: string;
  /** The request id, validated or generated (see http/request-id.ts). */
  'x-request-id'?: string;
}

export function commandContext(request: FastifyRequest): CommandContext {
  const headers = request.headers as CommandHeaders;
  return {
    precondition: preconditionFrom(headers['if-match'], headers['if-none-match']),
    correlationId: headers['x-request-id'] ?? null,
    causationId: uuidv7(),
    userId: principalOf(request)?.subject ?? null,
  };
}

/** The revision the command left, as `ETag`; 201 when it appended its events, else 200 (a retry). */
export function answer(reply: FastifyReply, outcome: CommandOutcome, status?: number): void {
  void reply.status(status ?? (outcome.appended ? 201 : 200)).header('ETag', toETag(outcome.revision));
}

/** A command that creates one message: also its `Location` when it was created now. */
export function answerCreated(reply: FastifyReply, outcome: CommandOutcome, projectId: string): Message {
  const message = only(outcome.messages[0]);
  answer(reply, outcome);
  if (outcome.appended) void reply.header('Location', `/v1/projects/${projectId}/messages/${message.id}`);
  return message;
}

export function only(message: Message | undefined): Message {
  if (!message) throw new Error('The command left no message');
  return message;
}
