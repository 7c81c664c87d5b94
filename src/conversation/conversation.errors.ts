/** What a conversation command can be refused with; `toProblem` tells each to the client. */

export class MessageIdConflictError extends Error {
  override readonly name = 'MessageIdConflictError';
  constructor(readonly messageId: string) {
    super(`Message id ${messageId} is already taken by a different message in this project`);
  }
}

export class ReplyToNotFoundError extends Error {
  override readonly name = 'ReplyToNotFoundError';
  constructor(readonly replyTo: string) {
    super(`replyTo ${replyTo} is not a user message of this project`);
  }
}

export class AssistantMessageNotFoundError extends Error {
  override readonly name = 'AssistantMessageNotFoundError';
  constructor(readonly messageId: string) {
    super(`No assistant message ${messageId} in this project`);
  }
}

export class CompletionConflictError extends Error {
  override readonly name = 'CompletionConflictError';
  constructor(readonly messageId: string) {
    super(`Assistant message ${messageId} was already completed with a different content or status`);
  }
}

export class NotStreamingError extends Error {
  override readonly name = 'NotStreamingError';
  constructor(readonly messageId: string) {
    super(`Assistant message ${messageId} is completed: it takes no more deltas`);
  }
}

export class StaleOffsetError extends Error {
  override readonly name = 'StaleOffsetError';
  constructor(
    readonly messageId: string,
    readonly currentLength: number,
  ) {
    super(`The content of assistant message ${messageId} is ${currentLength} long, not at the offset sent`);
  }
}

export class ContentTooLongError extends Error {
  override readonly name = 'ContentTooLongError';
  constructor(readonly messageId: string) {
    super(`The delta would make assistant message ${messageId} longer than 100,000 characters`);
  }
}
